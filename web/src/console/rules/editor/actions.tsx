import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Input, Select, Space } from "antd";
import { label } from "../../../shared/i18n.ts";
import type { Action, ActionSpec, Issues, Label, ParamSpec, Vocabulary } from "../model.ts";
import { useRulesText } from "../text.ts";
import { asText, Field, numberOrText, ValueText } from "./field.tsx";

/** An action as first picked: its parameters' defaults, where the vocabulary gives one. */
export function newAction(spec: ActionSpec): Action {
  const a: Action = { action: spec.action };
  for (const p of spec.params) if (p.default !== undefined) a[p.name] = p.default;
  return a;
}

/** What a rule does when it matches: one row per action, its parameters from the vocabulary. */
export function ActionList({
  vocab,
  actions,
  path,
  issues,
  onChange,
}: {
  vocab: Vocabulary;
  actions: Action[];
  path: string;
  issues: Issues;
  onChange: (a: Action[]) => void;
}) {
  const { t } = useRulesText();
  const listProblems = issues.get(path);
  return (
    <div data-path={path}>
      {listProblems && (
        <div className="ant-form-item-explain-error" role="alert">
          {listProblems.join("；")}
        </div>
      )}
      {actions.map((a, i) => {
        const spec = vocab.actions.find((s) => s.action === a.action);
        const at = `${path}[${i}]`;
        const set = (next: Action) => onChange(actions.map((x, j) => (j === i ? next : x)));
        const problems = issues.get(at);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: an action is where it stands in the list
          <div key={i} data-path={at} style={{ marginBottom: 4 }}>
            <Space wrap align="start" size={8}>
              <Field path={`${at}.action`} issues={issues}>
                <Select
                  aria-label={t("editor.action")}
                  style={{ width: 170 }}
                  value={spec ? a.action : undefined}
                  options={vocab.actions.map((s) => ({ value: s.action, label: label(s.label) }))}
                  onChange={(kind) => {
                    const s = vocab.actions.find((x) => x.action === kind);
                    if (s) set(newAction(s));
                  }}
                />
              </Field>
              {spec?.params.map((p) => (
                <ParamInput
                  key={p.name}
                  vocab={vocab}
                  param={p}
                  value={a[p.name]}
                  path={`${at}.${p.name}`}
                  issues={issues}
                  onChange={(v) => {
                    const next = { ...a };
                    if (v === undefined) delete next[p.name];
                    else next[p.name] = v;
                    set(next);
                  }}
                />
              ))}
              <Button
                type="text"
                danger
                icon={<DeleteOutlined />}
                aria-label={t("editor.removeAction")}
                onClick={() => onChange(actions.filter((_, j) => j !== i))}
                style={{ marginTop: 4 }}
              />
            </Space>
            {problems && (
              <div className="ant-form-item-explain-error" role="alert">
                {problems.join("；")}
              </div>
            )}
          </div>
        );
      })}
      <Button
        icon={<PlusOutlined />}
        onClick={() => {
          const first = vocab.actions[0];
          if (first) onChange([...actions, newAction(first)]);
        }}
      >
        {t("editor.addAction")}
      </Button>
    </div>
  );
}

function ParamInput({
  vocab,
  param,
  value,
  path,
  issues,
  onChange,
}: {
  vocab: Vocabulary;
  param: ParamSpec;
  value: unknown;
  path: string;
  issues: Issues;
  onChange: (v: unknown) => void;
}) {
  const name = label(param.label);
  const listed = param.values ? (vocab[param.values] as Record<string, Label>) : null;
  const options = listed ? Object.entries(listed).map(([v, l]) => ({ value: v, label: label(l) })) : [];
  let input: React.ReactNode;
  switch (param.kind) {
    case "choice":
      input = (
        <Select
          aria-label={name}
          placeholder={name}
          style={{ width: 220 }}
          value={typeof value === "string" ? value : undefined}
          options={options}
          onChange={onChange}
          allowClear={!param.required}
        />
      );
      break;
    case "choices":
      input = (
        <Select
          aria-label={name}
          placeholder={name}
          mode="multiple"
          style={{ minWidth: 180 }}
          value={Array.isArray(value) ? value : []}
          options={options}
          onChange={onChange}
        />
      );
      break;
    case "texts":
      input = (
        <Select
          aria-label={name}
          placeholder={name}
          mode="tags"
          style={{ minWidth: 180 }}
          value={Array.isArray(value) ? value : []}
          tokenSeparators={[",", "，", " "]}
          onChange={onChange}
          open={false}
        />
      );
      break;
    case "text":
      input = (
        <Input
          aria-label={name}
          placeholder={name}
          style={{ width: 180 }}
          maxLength={param.maxLength}
          value={asText(value)}
          onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        />
      );
      break;
    default:
      input = (
        <ValueText
          aria-label={name}
          placeholder={name}
          style={{ width: 140 }}
          inputMode="decimal"
          suffix={param.unit ? label(param.unit) : undefined}
          value={value}
          parse={numberOrText}
          onChange={onChange}
        />
      );
  }
  return (
    <Field path={path} issues={issues}>
      {input}
    </Field>
  );
}
