import { List, Space, Table, Typography } from "antd";
import { formatMoney } from "../../../../shared/money.ts";
import { ToneTag } from "../../../../shared/tone.tsx";
import { type CaseViewData, inCurrency } from "../data.ts";
import { useCaseText, useCodes } from "../text.ts";
import { Section } from "./section.tsx";

type Line = CaseViewData["lines"][number];

const num = { fontVariantNumeric: "tabular-nums", whiteSpace: "nowrap" } as const;

function Item({ line }: { line: Line }) {
  const { t } = useCaseText();
  return (
    <Space direction="vertical" size={0}>
      <Typography.Text strong={line.inCase}>{line.title ?? line.sku}</Typography.Text>
      <Space size={4} wrap>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {line.sku}
        </Typography.Text>
        {line.inCase && (
          <ToneTag tone="geekblue">
            {t("lines.inCase")} × {line.caseQuantity}
          </ToneTag>
        )}
      </Space>
    </Space>
  );
}

/** Each line: what was ordered, shipped, sent back and refunded, and what was paid for it. */
export function LinesSection({ view, narrow }: { view: CaseViewData; narrow: boolean }) {
  const { t } = useCaseText();
  const code = useCodes();
  const money = (a: string) => formatMoney(inCurrency(view, a));
  const order = view.order;
  const extra = (
    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
      {code("orderStatus", order.aftersalesStatus)}
    </Typography.Text>
  );
  const refunded = (l: Line) =>
    l.refundedQuantity > 0 ? `${l.refundedQuantity} · ${money(l.refunded)}` : String(l.refundedQuantity);
  return (
    <Section title={t("sections.lines")} extra={extra} testId="case-lines">
      {narrow ? (
        <List
          size="small"
          dataSource={view.lines}
          renderItem={(l) => (
            <List.Item style={{ display: "block" }} data-line={l.id}>
              <Item line={l} />
              <div style={{ fontSize: 13, marginTop: 4 }}>
                {t("lines.summary", {
                  ordered: l.quantity,
                  shipped: l.shipped,
                  returned: l.returned,
                  refunded: refunded(l),
                })}
              </div>
              <div style={{ fontSize: 13 }}>
                {t("lines.unitPrice")} {money(l.unitPrice)} · {t("lines.paid")}{" "}
                <strong>{money(l.paid)}</strong>
              </div>
            </List.Item>
          )}
        />
      ) : (
        <Table<Line>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={view.lines}
          onRow={(l) => ({ "data-line": l.id }) as never}
          columns={[
            { title: t("lines.item"), key: "item", render: (_, l) => <Item line={l} /> },
            {
              title: t("lines.unitPrice"),
              key: "unit",
              align: "right",
              render: (_, l) => <span style={num}>{money(l.unitPrice)}</span>,
            },
            { title: t("lines.ordered"), dataIndex: "quantity", align: "right" },
            { title: t("lines.shipped"), dataIndex: "shipped", align: "right" },
            { title: t("lines.returned"), dataIndex: "returned", align: "right" },
            {
              title: t("lines.refunded"),
              key: "refunded",
              align: "right",
              render: (_, l) => <span style={num}>{refunded(l)}</span>,
            },
            {
              title: t("lines.paid"),
              key: "paid",
              align: "right",
              render: (_, l) => <span style={num}>{money(l.paid)}</span>,
            },
          ]}
        />
      )}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: "8px 0 0" }}>
        {t("money.orderPaid", { paid: money(order.paidTotal), refunded: money(order.refundedTotal) })}
      </Typography.Paragraph>
    </Section>
  );
}

/** How the order was paid: each tender and its transaction. */
export function PaymentsSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const code = useCodes();
  return (
    <Section title={t("sections.payments")}>
      <List
        size="small"
        dataSource={view.payments}
        renderItem={(p) => (
          <List.Item style={{ display: "flex", gap: 8, flexWrap: "wrap" }}>
            <span>{code("tender", p.tender)}</span>
            <strong style={num}>{formatMoney(inCurrency(view, p.amount))}</strong>
            {p.transactionId && (
              <Typography.Text type="secondary" copyable style={{ fontSize: 12, wordBreak: "break-all" }}>
                {p.transactionId}
              </Typography.Text>
            )}
          </List.Item>
        )}
      />
    </Section>
  );
}
