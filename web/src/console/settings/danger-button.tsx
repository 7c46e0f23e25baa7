import { Button, Popconfirm } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

/**
 * A small red button for what cannot be undone (revoke, delete): it asks first, saying what will happen,
 * and does it only when the person confirms with the same word.
 */
export function DangerButton({
  label,
  title,
  description,
  onConfirm,
}: {
  label: string;
  title: ReactNode;
  description: ReactNode;
  onConfirm: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  return (
    <Popconfirm
      title={title}
      description={<div style={{ maxWidth: 280 }}>{description}</div>}
      okText={label}
      okButtonProps={{ danger: true }}
      cancelText={t("actions.cancel")}
      onConfirm={onConfirm}
    >
      <Button size="small" danger>
        {label}
      </Button>
    </Popconfirm>
  );
}
