import { ReloadOutlined } from "@ant-design/icons";
import { Alert, Button } from "antd";
import dayjs from "dayjs";
import { ApiError } from "../../../../shared/api.ts";
import { actorText } from "../format.ts";
import { useCaseText, useCodes } from "../text.ts";

interface Change {
  action: string;
  actor: string;
  at: string;
  from: string | null;
  to: string | null;
}

/**
 * Why an action was refused, as the server said it (already in the person's language). A case that
 * changed meanwhile (VERSION_CONFLICT) says who changed it, when and what, with a button to reload.
 */
export function ActionProblem({ error, onReload }: { error: Error | null; onReload: () => void }) {
  const { t } = useCaseText();
  const code = useCodes();
  if (!error) return null;
  if (!(error instanceof ApiError))
    return <Alert type="error" showIcon role="alert" title={t("common:errors.network")} />;
  if (error.code !== "VERSION_CONFLICT")
    return <Alert type="error" showIcon role="alert" title={error.message} data-code={error.code} />;
  const d = error.details as { changedBy?: string | null; changedAt?: string | null; changes?: Change[] };
  const changes = d.changes ?? [];
  return (
    <Alert
      type="warning"
      showIcon
      role="alert"
      data-code="VERSION_CONFLICT"
      title={t("conflict.title")}
      description={
        <div>
          <div>
            {t("conflict.detail", {
              who: actorText(t, d.changedBy),
              at: d.changedAt ? dayjs(d.changedAt).format("YYYY-MM-DD HH:mm:ss") : "—",
            })}
          </div>
          {changes.length > 0 && (
            <>
              <div style={{ marginTop: 4 }}>{t("conflict.changes")}</div>
              <ul style={{ margin: 0, paddingInlineStart: 18 }}>
                {changes.map((c) => (
                  <li key={`${c.at}${c.action}${c.actor}`}>
                    {dayjs(c.at).format("HH:mm:ss")} {actorText(t, c.actor)} ·{" "}
                    {t(`events.${c.action}`, { defaultValue: c.action })}
                    {c.to && c.from !== c.to
                      ? ` (${c.from ? `${code("state", c.from)} → ` : ""}${code("state", c.to)})`
                      : ""}
                  </li>
                ))}
              </ul>
            </>
          )}
          <Button
            icon={<ReloadOutlined />}
            onClick={onReload}
            style={{ marginTop: 8 }}
            data-testid="conflict-reload"
          >
            {t("conflict.reload")}
          </Button>
        </div>
      }
    />
  );
}
