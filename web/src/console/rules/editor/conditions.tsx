import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Checkbox, Select, Space } from "antd";
import { label } from "../../../shared/i18n.ts";
import {
  childrenOf,
  type FieldSpec,
  groupKind,
  type Issues,
  isGroup,
  isLeaf,
  type Leaf,
  type Node,
  type Vocabulary,
} from "../model.ts";
import { useRulesText } from "../text.ts";
import { Field, numberOrText, ValueText } from "./field.tsx";

/**
 * The condition tree of a rule as a form: groups (all / any), comparisons (field, operator, value,
 * window), and "not" on any of them. Fields, operators and what each value takes come from the
 * vocabulary; a new condition appears here by itself.
 */

type Change = (n: Node) => void;

/** The comparison a new row starts as: the vocabulary's first field and its first operator. */
export function newLeaf(vocab: Vocabulary, field?: FieldSpec): Leaf {
  const f = field ?? vocab.fields[0];
  if (!f) return { field: "", op: "" };
  const leaf: Leaf = { field: f.field, op: f.operators[0]?.op ?? "" };
  if (f.defaultWindow !== null) leaf.window = f.defaultWindow;
  return leaf;
}

export function ConditionNode({
  vocab,
  node,
  path,
  issues,
  onChange,
  onRemove,
  currency,
}: {
  vocab: Vocabulary;
  node: Node;
  path: string;
  issues: Issues;
  onChange: Change;
  onRemove?: () => void;
  currency: string;
}) {
  const { t } = useRulesText();
  // "not" wraps the node it negates: shown as that node with its box ticked.
  const negated = "not" in node;
  const inner = "not" in node ? node.not : node;
  const innerPath = negated ? `${path}.not` : path;
  const setInner = (n: Node) => onChange(negated ? { not: n } : n);
  const negate = (
    <Checkbox checked={negated} onChange={(e) => onChange(e.target.checked ? { not: inner } : inner)}>
      {t("editor.not")}
    </Checkbox>
  );
  const remove = onRemove && (
    <Button
      type="text"
      danger
      icon={<DeleteOutlined />}
      onClick={onRemove}
      aria-label={t("editor.removeCondition")}
    />
  );
  const problems = [...(issues.get(path) ?? []), ...(negated ? (issues.get(innerPath) ?? []) : [])];
  const nodeProblem = problems.length > 0 && (
    <div className="ant-form-item-explain-error" role="alert" data-path={path}>
      {problems.join("；")}
    </div>
  );
  if (isGroup(inner)) {
    const kind = groupKind(inner);
    const children = childrenOf(inner);
    const setChildren = (next: Node[]) => setInner(kind === "all" ? { all: next } : { any: next });
    return (
      <div
        className="rules-group"
        data-path={innerPath}
        style={{ border: "1px dashed #c8ccd2", borderRadius: 6, padding: 8, marginBottom: 8 }}
      >
        <Space wrap style={{ marginBottom: 8 }}>
          <Select
            aria-label={t("editor.groupKind")}
            value={kind}
            style={{ width: 150 }}
            options={[
              { value: "all", label: t("editor.all") },
              { value: "any", label: t("editor.any") },
            ]}
            onChange={(k) => setInner(k === "all" ? { all: children } : { any: children })}
          />
          {negate}
          {remove}
        </Space>
        {nodeProblem}
        {children.map((c, i) => (
          <ConditionNode
            // Rows have no identity of their own but their place.
            // biome-ignore lint/suspicious/noArrayIndexKey: a condition is where it stands in the list
            key={i}
            vocab={vocab}
            node={c}
            path={`${innerPath}.${kind}[${i}]`}
            issues={issues}
            currency={currency}
            onChange={(n) => setChildren(children.map((x, j) => (j === i ? n : x)))}
            onRemove={() => setChildren(children.filter((_, j) => j !== i))}
          />
        ))}
        {children.length === 0 && (
          <div style={{ color: "rgba(0,0,0,0.6)", marginBottom: 8 }}>{t("editor.empty")}</div>
        )}
        <Space wrap>
          <Button icon={<PlusOutlined />} onClick={() => setChildren([...children, newLeaf(vocab)])}>
            {t("editor.addCondition")}
          </Button>
          <Button
            icon={<PlusOutlined />}
            onClick={() => setChildren([...children, { any: [newLeaf(vocab)] }])}
          >
            {t("editor.addGroup")}
          </Button>
        </Space>
      </div>
    );
  }
  if (!isLeaf(inner)) return null;
  return (
    <div data-path={innerPath} className="rules-leaf" style={{ marginBottom: 4 }}>
      <LeafRow
        vocab={vocab}
        leaf={inner}
        path={innerPath}
        issues={issues}
        currency={currency}
        onChange={setInner}
        extra={
          <>
            {negate}
            {remove}
          </>
        }
      />
      {nodeProblem}
    </div>
  );
}

function LeafRow({
  vocab,
  leaf,
  path,
  issues,
  onChange,
  currency,
  extra,
}: {
  vocab: Vocabulary;
  leaf: Leaf;
  path: string;
  issues: Issues;
  onChange: (l: Leaf) => void;
  currency: string;
  extra: React.ReactNode;
}) {
  const { t } = useRulesText();
  const field = vocab.fields.find((f) => f.field === leaf.field);
  const operator = field?.operators.find((o) => o.op === leaf.op);
  return (
    <Space wrap align="start" size={8}>
      <Field path={`${path}.field`} issues={issues}>
        <Select
          aria-label={t("editor.field")}
          showSearch={{ optionFilterProp: "label" }}
          style={{ width: 190 }}
          value={field ? leaf.field : undefined}
          placeholder={t("editor.field")}
          options={vocab.fields.map((f) => ({ value: f.field, label: label(f.label) }))}
          onChange={(name) =>
            onChange(
              newLeaf(
                vocab,
                vocab.fields.find((f) => f.field === name),
              ),
            )
          }
        />
      </Field>
      {field && field.windows.length > 0 && (
        <Field path={`${path}.window`} issues={issues}>
          <Select
            aria-label={t("editor.window")}
            style={{ width: 120 }}
            value={leaf.window ?? field.defaultWindow ?? undefined}
            options={field.windows.map((w) => ({ value: w, label: t("editor.lastDays", { n: w }) }))}
            onChange={(w) => onChange({ ...leaf, window: w })}
          />
        </Field>
      )}
      <Field path={`${path}.op`} issues={issues}>
        <Select
          aria-label={t("editor.operator")}
          style={{ width: 130 }}
          value={operator ? leaf.op : undefined}
          placeholder={t("editor.operator")}
          options={(field?.operators ?? []).map((o) => ({ value: o.op, label: label(o.label) }))}
          onChange={(op) => {
            const next = field?.operators.find((o) => o.op === op);
            // The value keeps only while it still has the shape the operator takes.
            const keep = next && operator && next.operand === operator.operand;
            const { value: _drop, ...rest } = leaf;
            onChange(keep ? { ...leaf, op } : { ...rest, op });
          }}
        />
      </Field>
      {field && operator && (
        <ValueInput
          field={field}
          operand={operator.operand}
          flag={operator.flag}
          value={leaf.value}
          path={`${path}.value`}
          issues={issues}
          currency={currency}
          onChange={(value) => {
            const { value: _drop, ...rest } = leaf;
            onChange(value === undefined ? rest : { ...rest, value });
          }}
        />
      )}
      <Space size={4} style={{ paddingTop: 4 }}>
        {extra}
      </Space>
    </Space>
  );
}

const NUMERIC = ["number", "amount", "days", "ratio"];
const PARSERS: Record<string, (text: string) => unknown> = {
  // Amounts stay text (decimal, exact); other numbers become numbers when they read as one.
  amount: (text) => text.trim() || undefined,
  number: numberOrText,
  days: numberOrText,
  ratio: numberOrText,
};
const asIs = (text: string) => (text === "" ? undefined : text);
const parserOf = (type: string) => PARSERS[type] ?? asIs;

/** What a value takes: a choice among the field's values, yes/no, an amount, a number, text; one, two or a list. */
function ValueInput({
  field,
  operand,
  flag,
  value,
  path,
  issues,
  currency,
  onChange,
}: {
  field: FieldSpec;
  operand: string;
  flag: { true: { zh: string; en: string }; false: { zh: string; en: string } } | undefined;
  value: unknown;
  path: string;
  issues: Issues;
  currency: string;
  onChange: (v: unknown) => void;
}) {
  const { t } = useRulesText();
  const aria = t("editor.value");
  const known = field.values
    ? Object.entries(field.values).map(([v, l]) => ({ value: v, label: label(l) }))
    : null;
  const numeric = NUMERIC.includes(field.type);
  // Amounts stay text (decimal, exact); other numbers become numbers when they read as one.
  const parse = parserOf(field.type);
  const hint =
    field.type === "ratio"
      ? t("editor.ratioHint")
      : field.type === "amount"
        ? t("editor.amountHint", { currency })
        : undefined;
  let input: React.ReactNode;
  if (operand === "flag" && flag) {
    input = (
      <Select
        aria-label={aria}
        style={{ width: 140 }}
        value={typeof value === "boolean" ? String(value) : undefined}
        options={[
          { value: "true", label: label(flag.true) },
          { value: "false", label: label(flag.false) },
        ]}
        onChange={(v) => onChange(v === "true")}
      />
    );
  } else if (operand === "range") {
    const [lo, hi] = Array.isArray(value) ? value : [undefined, undefined];
    const set = (i: 0 | 1, v: unknown) => {
      const next = [lo, hi];
      next[i] = v;
      onChange(next);
    };
    input = (
      <Space.Compact>
        <ValueText
          aria-label={t("editor.low")}
          style={{ width: 110 }}
          value={lo}
          parse={parse}
          onChange={(v) => set(0, v)}
        />
        <ValueText
          aria-label={t("editor.high")}
          style={{ width: 110 }}
          value={hi}
          parse={parse}
          onChange={(v) => set(1, v)}
        />
      </Space.Compact>
    );
  } else if (operand === "list") {
    input = (
      <Select
        aria-label={aria}
        mode={known ? "multiple" : "tags"}
        style={{ minWidth: 220, maxWidth: 420 }}
        value={Array.isArray(value) ? value.map(String) : []}
        options={known ?? []}
        tokenSeparators={known ? undefined : [",", "，", " "]}
        onChange={(vs: string[]) => onChange(vs.map((v) => (known ? v : parse(v))))}
        placeholder={t("editor.pick")}
      />
    );
  } else if (field.type === "boolean") {
    input = (
      <Select
        aria-label={aria}
        style={{ width: 110 }}
        value={typeof value === "boolean" ? String(value) : undefined}
        options={[
          { value: "true", label: t("editor.yes") },
          { value: "false", label: t("editor.no") },
        ]}
        onChange={(v) => onChange(v === "true")}
      />
    );
  } else if (known) {
    input = (
      <Select
        aria-label={aria}
        showSearch={{ optionFilterProp: "label" }}
        style={{ width: 200 }}
        value={typeof value === "string" ? value : undefined}
        options={known}
        onChange={onChange}
        placeholder={t("editor.pick")}
      />
    );
  } else {
    input = (
      <ValueText
        aria-label={aria}
        style={{ width: 160 }}
        inputMode={numeric ? "decimal" : undefined}
        prefix={field.type === "amount" ? currency : undefined}
        value={value}
        parse={parse}
        onChange={onChange}
      />
    );
  }
  return (
    <Field path={path} issues={issues} extra={hint}>
      {input}
    </Field>
  );
}
