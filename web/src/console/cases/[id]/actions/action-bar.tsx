import { Button, Space, Typography } from "antd";
import { type Ref, useImperativeHandle, useState } from "react";
import type { CaseViewData } from "../data.ts";
import { useCaseText } from "../text.ts";
import { ActionDialog } from "./dialog.tsx";
import { ACTION_SPECS, actionLabel } from "./registry.tsx";

/**
 * What the case view lets its host do (the queue's keyboard, the full page's): open an action's form
 * as if its button were pressed. `open` answers false when the action is not available to this person
 * on this case now (it is not in availableActions), so the host can say so.
 */
export interface CaseViewHandle {
  open(action: string): boolean;
  /** The actions offered now, in the order the buttons show them. */
  available(): string[];
}

/** The actions on offer (availableActions, in our order), each a button that opens its form. */
export function ActionBar({
  view,
  reload,
  onActed,
  handle,
  touch = false,
}: {
  view: CaseViewData;
  reload: () => Promise<CaseViewData | undefined>;
  onActed?: (action: string, result: unknown) => void;
  handle?: Ref<CaseViewHandle>;
  /** A phone: buttons a thumb can hit (44 px, as touch guidelines ask), no keyboard hints. */
  touch?: boolean;
}) {
  const { t } = useCaseText();
  const [open, setOpen] = useState<string | null>(null);
  const offered = view.case.availableActions;
  const actions = Object.keys(ACTION_SPECS).filter((slug) => offered.includes(slug));
  useImperativeHandle(
    handle,
    () => ({
      open: (action) => {
        if (!actions.includes(action)) return false;
        setOpen(action);
        return true;
      },
      available: () => actions,
    }),
    [actions],
  );
  return (
    <nav aria-label={t("sections.actions")} data-testid="case-actions">
      {actions.length === 0 ? (
        <Typography.Text type="secondary">{t("actions.none")}</Typography.Text>
      ) : (
        <Space wrap size={[8, 8]}>
          {actions.map((slug) => {
            const spec = ACTION_SPECS[slug];
            return (
              <Button
                key={slug}
                type={spec?.tone === "primary" ? "primary" : "default"}
                danger={spec?.tone === "danger"}
                onClick={() => setOpen(slug)}
                aria-keyshortcuts={spec?.hotkey}
                title={spec?.hotkey ? t("actions.keyHint", { key: spec.hotkey.toUpperCase() }) : undefined}
                data-action={slug}
                style={touch ? { minHeight: 44, minWidth: 64 } : undefined}
              >
                {t(`actions.${actionLabel(slug, view)}`)}
                {spec?.hotkey && !touch && (
                  <kbd
                    aria-hidden
                    style={{ marginInlineStart: 6, fontSize: 11, opacity: 0.75, fontFamily: "inherit" }}
                  >
                    {spec.hotkey.toUpperCase()}
                  </kbd>
                )}
              </Button>
            );
          })}
        </Space>
      )}
      {open && (
        <ActionDialog
          slug={open}
          view={view}
          reload={reload}
          onClose={() => setOpen(null)}
          onActed={onActed}
        />
      )}
    </nav>
  );
}
