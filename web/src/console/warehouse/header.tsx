import { Row, Space, Typography } from "antd";
import type { ReactNode } from "react";

/** The warehouse screens' heading: title, what the screen is for, and what sits on the right. */
export function ScreenHeader({
  id,
  title,
  subtitle,
  children,
}: {
  id: string;
  title: string;
  subtitle: string;
  children: ReactNode;
}) {
  return (
    <Row justify="space-between" align="middle" style={{ marginBottom: 12 }}>
      <Space direction="vertical" size={0}>
        <Typography.Title level={3} style={{ margin: 0 }} id={id}>
          {title}
        </Typography.Title>
        <Typography.Text type="secondary">{subtitle}</Typography.Text>
      </Space>
      {children}
    </Row>
  );
}
