import { Alert, Button, Drawer, Form, Input, Space, Switch, Typography } from "antd";
import { useState } from "react";
import { currentLanguage } from "../../../shared/i18n.ts";
import { ruleText } from "../describe.ts";
import { type Issues, isGroup, issuesUnder, type Node, type Rule, type Vocabulary } from "../model.ts";
import { useRulesText } from "../text.ts";
import { ActionList } from "./actions.tsx";
import { ConditionNode } from "./conditions.tsx";
import { Field, numberOrText, ValueText } from "./field.tsx";

/** A rule's conditions as the form shows them: always a group at the top, so rows can be added. */
const asGroup = (n: Node): Node => (isGroup(n) || ("not" in n && isGroup(n.not)) ? n : { all: [n] });

/**
 * One rule in a form: its name in both languages, id, priority, whether it is on, its conditions and
 * its actions. Saving sends the whole draft; what the server refuses is shown at the field concerned.
 */
export function RuleDrawer({
  vocab,
  initial,
  index,
  issues,
  currency,
  saving,
  error,
  onSave,
  onClose,
}: {
  vocab: Vocabulary;
  initial: Rule;
  index: number;
  issues: Issues;
  currency: string;
  saving: boolean;
  error: string | null;
  onSave: (rule: Rule) => void;
  onClose: () => void;
}) {
  const { t } = useRulesText();
  const [rule, setRule] = useState<Rule>(() => ({
    ...initial,
    name: typeof initial.name === "string" ? { zh: initial.name, en: initial.name } : initial.name,
    when: asGroup(initial.when),
  }));
  const base = `rules[${index}]`;
  const name = typeof rule.name === "string" ? { zh: rule.name, en: rule.name } : rule.name;
  const set = (patch: Partial<Rule>) => setRule((r) => ({ ...r, ...patch }));
  const mine = issuesUnder(issues, base);
  const lang = currentLanguage() === "en" ? "en" : "zh";
  return (
    <Drawer
      open
      size="min(1040px, 100vw)"
      onClose={onClose}
      title={t("editor.title")}
      destroyOnHidden
      data-testid="rule-drawer"
      footer={
        <Space style={{ display: "flex", justifyContent: "flex-end" }}>
          <Button onClick={onClose}>{t("common:actions.cancel")}</Button>
          <Button type="primary" loading={saving} onClick={() => onSave(rule)} data-testid="rule-save">
            {t("editor.save")}
          </Button>
        </Space>
      }
    >
      <Form layout="vertical" component="div">
        {mine.length > 0 && (
          <Alert
            type="error"
            showIcon
            role="alert"
            style={{ marginBottom: 12 }}
            title={t("editor.problems", { count: mine.length })}
          />
        )}
        {error && <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title={error} />}
        <Typography.Paragraph
          data-testid="rule-preview"
          style={{ background: "#f5f7fa", padding: "8px 12px", borderRadius: 6 }}
        >
          {ruleText(vocab, rule, lang, currency)}
        </Typography.Paragraph>
        <Space wrap align="start">
          <Field path={`${base}.name.zh`} issues={issues} label={t("editor.nameZh")} style={{ width: 260 }}>
            <Input
              aria-label={t("editor.nameZh")}
              value={name.zh}
              onChange={(e) => set({ name: { ...name, zh: e.target.value } })}
            />
          </Field>
          <Field path={`${base}.name.en`} issues={issues} label={t("editor.nameEn")} style={{ width: 260 }}>
            <Input
              aria-label={t("editor.nameEn")}
              value={name.en}
              onChange={(e) => set({ name: { ...name, en: e.target.value } })}
            />
          </Field>
        </Space>
        {issues.get(`${base}.name`) && (
          <Field path={`${base}.name`} issues={issues}>
            <span />
          </Field>
        )}
        <Space wrap align="start">
          <Field
            path={`${base}.id`}
            issues={issues}
            label={t("editor.id")}
            extra={t("editor.idHint")}
            style={{ width: 220 }}
          >
            <Input
              aria-label={t("editor.id")}
              value={rule.id}
              onChange={(e) => set({ id: e.target.value })}
            />
          </Field>
          <Field
            path={`${base}.priority`}
            issues={issues}
            label={t("editor.priority")}
            extra={t("editor.priorityHint")}
            style={{ width: 200 }}
          >
            <ValueText
              aria-label={t("editor.priority")}
              inputMode="numeric"
              value={rule.priority}
              parse={numberOrText}
              onChange={(v) => set({ priority: v as number })}
            />
          </Field>
          <Field path={`${base}.enabled`} issues={issues} label={t("editor.enabled")}>
            <Switch
              checked={rule.enabled !== false}
              onChange={(on) => set({ enabled: on })}
              aria-label={t("editor.enabled")}
            />
          </Field>
        </Space>
        <Typography.Title level={5} style={{ marginTop: 8 }}>
          {t("editor.when")}
        </Typography.Title>
        <ConditionNode
          vocab={vocab}
          node={rule.when}
          path={`${base}.when`}
          issues={issues}
          currency={currency}
          onChange={(when) => set({ when })}
        />
        <Typography.Title level={5}>{t("editor.actions")}</Typography.Title>
        <ActionList
          vocab={vocab}
          actions={rule.then}
          path={`${base}.then`}
          issues={issues}
          onChange={(then) => set({ then })}
        />
      </Form>
    </Drawer>
  );
}
