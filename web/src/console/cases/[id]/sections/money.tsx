import { Descriptions, List, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { formatMoney } from "../../../../shared/money.ts";
import { useCan } from "../../../../shared/session.ts";
import { ToneTag } from "../../../../shared/tone.tsx";
import { type CaseViewData, inCurrency, isMoneyCase, type Quote, useQuote } from "../data.ts";
import { useCaseText } from "../text.ts";
import { Section } from "./section.tsx";

const REFUND_COLOUR = {
  requested: undefined,
  processing: "blue",
  succeeded: "green",
  failed: "red",
} as const;

/** A quote part by part: each line's due and given amount, shipping, deductions, the cap and the total. */
export function QuoteTable({ view, quote }: { view: CaseViewData; quote: Quote }) {
  const { t } = useCaseText();
  const money = (a: string) => formatMoney(inCurrency(view, a));
  const titleOf = (lineId: number) => {
    const l = view.lines.find((x) => x.id === lineId);
    return l ? (l.title ?? l.sku) : `#${lineId}`;
  };
  return (
    <>
      <Table
        size="small"
        rowKey="lineId"
        pagination={false}
        dataSource={quote.lines}
        columns={[
          {
            title: t("grant.line"),
            key: "line",
            render: (_, l) => (
              <Space direction="vertical" size={0}>
                <span>
                  {titleOf(l.lineId)} × {l.quantity}
                </span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t("money.paidLeft", { paid: money(l.paid), refunded: money(l.alreadyRefunded) })}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t("grant.computed"),
            key: "computed",
            align: "right",
            render: (_, l) => money(l.computed),
          },
          { title: t("grant.refund"), key: "amount", align: "right", render: (_, l) => money(l.amount) },
        ]}
      />
      <Descriptions
        size="small"
        column={1}
        style={{ marginTop: 8 }}
        items={[
          { key: "goods", label: t("money.goods"), children: money(quote.goods) },
          { key: "shipping", label: t("money.shipping"), children: money(quote.shipping) },
          ...quote.deductions.map((d, i) => ({
            key: `d${i}`,
            label: `${t("money.deductions")} · ${t(`grant.kinds.${d.kind}`)}`,
            children: `−${money(d.amount)}${d.note ? ` (${d.note})` : ""}`,
          })),
          { key: "cap", label: t("money.cap"), children: money(quote.cap) },
          {
            key: "total",
            label: t("money.total"),
            children: (
              <strong style={{ fontSize: 16 }} data-testid="quote-total">
                {money(quote.total)}
              </strong>
            ),
          },
        ]}
      />
    </>
  );
}

/** The refund: what was decided (or what would be, now), and each refund sent with its outcome. */
export function MoneySection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const can = useCan();
  const c = view.case;
  const money = (a: string) => formatMoney(inCurrency(view, a));
  const preview = useQuote(view, {}, isMoneyCase(c) && !c.quote && can("quotes"));
  const quote = c.quote ?? preview.data ?? null;
  if (!isMoneyCase(c) && c.refunds.length === 0) return null;
  return (
    <Section title={c.quote ? t("money.granted") : t("money.quote")} testId="case-money">
      {quote ? (
        <QuoteTable view={view} quote={quote} />
      ) : (
        <Typography.Text type="secondary">
          {preview.isFetching ? t("grant.quoting") : (preview.error?.message ?? t("money.noQuote"))}
        </Typography.Text>
      )}
      {c.refunds.length > 0 && (
        <>
          <Typography.Title level={3} style={{ fontSize: 14, marginTop: 12 }}>
            {t("money.refunds")}
          </Typography.Title>
          <List
            size="small"
            dataSource={c.refunds}
            renderItem={(r) => (
              <List.Item style={{ display: "block" }}>
                <Space wrap size={[8, 2]}>
                  <strong>{money(r.amount)}</strong>
                  <ToneTag tone={REFUND_COLOUR[r.status]}>{t(`money.refundStatus.${r.status}`)}</ToneTag>
                  <span>{r.channel}</span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {dayjs(r.succeededAt ?? r.createdAt).format("MM-DD HH:mm")} ·{" "}
                    {t("money.attempts", { n: r.attempts })}
                  </Typography.Text>
                </Space>
                {r.lastError && r.status !== "succeeded" && (
                  <Typography.Paragraph type="danger" style={{ margin: "4px 0 0", fontSize: 13 }}>
                    {r.lastError}
                  </Typography.Paragraph>
                )}
              </List.Item>
            )}
          />
        </>
      )}
    </Section>
  );
}
