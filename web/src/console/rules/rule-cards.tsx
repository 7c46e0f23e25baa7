import { DeleteOutlined, EditOutlined } from "@ant-design/icons";
import { Badge, Button, Card, Empty, Popconfirm, Space, Tag, Typography } from "antd";
import { currentLanguage, label } from "../../shared/i18n.ts";
import { type Tone, ToneTag } from "../../shared/tone.tsx";
import { conditionText, nameText, ruleText } from "./describe.ts";
import { type Issues, inOrder, issuesUnder, type RuleSet, type Vocabulary } from "./model.ts";
import { useRulesText } from "./text.ts";

const OUTCOME_TONE: Record<string, Tone> = { approve: "green", reject: "red", manual: "blue" };

/**
 * The rule set as cards in the order the engine tries them, each in the merchant's words:
 * 退款金额 ≤ ¥30.00 且 仅退款 → 自动同意. A draft's cards can be edited or removed.
 */
export function RuleCards({
  vocab,
  doc,
  issues,
  onEdit,
  onRemove,
}: {
  vocab: Vocabulary;
  doc: RuleSet;
  issues: Issues;
  onEdit?: (index: number) => void;
  onRemove?: (index: number) => void;
}) {
  const { t } = useRulesText();
  const lang = currentLanguage() === "en" ? "en" : "zh";
  const currency = doc.currency ?? "CNY";
  if (doc.rules.length === 0) return <Empty description={t("cards.none")} />;
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={8}>
      {inOrder(doc.rules).map(({ rule, index }) => {
        const decides = rule.then
          .map((a) => vocab.actions.find((s) => s.action === a.action)?.outcome)
          .find((o) => o);
        const problems = issuesUnder(issues, `rules[${index}]`).length;
        const off = rule.enabled === false;
        return (
          <Card
            key={`${index}-${rule.id}`}
            size="small"
            data-testid="rule-card"
            data-rule={rule.id}
            style={{ opacity: off ? 0.65 : 1, borderColor: problems ? "#cf1322" : undefined }}
            title={
              <Space wrap size={6}>
                <Tag>{t("cards.priority", { n: rule.priority })}</Tag>
                <span>{nameText(rule.name, lang)}</span>
                {decides && <ToneTag tone={OUTCOME_TONE[decides]}>{t(`outcome.${decides}`)}</ToneTag>}
                {off && <Tag>{t("cards.off")}</Tag>}
                {problems > 0 && <Badge count={t("cards.problems", { count: problems })} />}
              </Space>
            }
            extra={
              (onEdit || onRemove) && (
                <Space size={0}>
                  {onEdit && (
                    <Button
                      type="text"
                      icon={<EditOutlined />}
                      onClick={() => onEdit(index)}
                      aria-label={t("cards.edit", { name: nameText(rule.name, lang) })}
                    />
                  )}
                  {onRemove && (
                    <Popconfirm
                      title={t("cards.removeConfirm", { name: nameText(rule.name, lang) })}
                      onConfirm={() => onRemove(index)}
                    >
                      <Button
                        type="text"
                        danger
                        icon={<DeleteOutlined />}
                        aria-label={t("cards.remove", { name: nameText(rule.name, lang) })}
                      />
                    </Popconfirm>
                  )}
                </Space>
              )
            }
          >
            <Typography.Text data-testid="rule-text">{ruleText(vocab, rule, lang, currency)}</Typography.Text>
          </Card>
        );
      })}
      {(doc.solutions ?? []).length > 0 && (
        <Card size="small" title={t("cards.solutions")} data-testid="solutions">
          <ul style={{ margin: 0, paddingInlineStart: 18 }}>
            {(doc.solutions ?? []).map((s) => (
              <li key={s.id}>
                {conditionText(vocab, s.when, lang, currency)} →{" "}
                {label(vocab.solutions[s.solution]) || s.solution}
                <Typography.Text type="secondary">（{label(s.why)}）</Typography.Text>
              </li>
            ))}
          </ul>
        </Card>
      )}
    </Space>
  );
}
