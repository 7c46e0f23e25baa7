import { Alert, Input } from "antd";
import type { Issues } from "./model.ts";
import { useRulesText } from "./text.ts";

/**
 * The draft as JSON, for people who prefer to type it (the same document the form edits). What the
 * server refuses is listed by where it is in the document.
 */
export function JsonView({
  text,
  onChange,
  issues,
  parseError,
  readOnly,
}: {
  text: string;
  onChange?: (text: string) => void;
  issues: Issues;
  parseError: string | null;
  readOnly?: boolean;
}) {
  const { t } = useRulesText();
  return (
    <div>
      {parseError && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={t("json.notJson", { reason: parseError })}
          style={{ marginBottom: 8 }}
        />
      )}
      {issues.size > 0 && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginBottom: 8 }}
          title={t("json.problems", { count: [...issues.values()].flat().length })}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }} data-testid="json-problems">
              {[...issues.entries()].map(([path, messages]) => (
                <li key={path}>
                  {t("json.at", { path: path || t("json.document"), message: messages.join("；") })}
                </li>
              ))}
            </ul>
          }
        />
      )}
      <Input.TextArea
        aria-label={t("json.label")}
        data-testid="rules-json"
        value={text}
        readOnly={readOnly}
        spellCheck={false}
        onChange={(e) => onChange?.(e.target.value)}
        autoSize={{ minRows: 16, maxRows: 40 }}
        style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 }}
      />
    </div>
  );
}
