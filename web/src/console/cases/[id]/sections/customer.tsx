import { Descriptions, List, Space, Typography } from "antd";
import dayjs from "dayjs";
import { Link } from "react-router";
import { formatMoney } from "../../../../shared/money.ts";
import { ToneTag } from "../../../../shared/tone.tsx";
import { type CaseViewData, inCurrency } from "../data.ts";
import { percent } from "../format.ts";
import { useCaseText, useCodes } from "../text.ts";
import { Section } from "./section.tsx";

type Kase = { id: number; type: string; reason: string; status: string; createdAt: string };

/** A case of the customer's, one line, linked to its own view. */
function CaseLink({ k, extra }: { k: Kase; extra?: string }) {
  const { t } = useCaseText();
  const code = useCodes();
  return (
    <List.Item style={{ display: "flex", gap: 8, flexWrap: "wrap", justifyContent: "flex-start" }}>
      <Link to={`/cases/${k.id}`}>{t("title", { id: k.id })}</Link>
      <span>{code("type", k.type)}</span>
      <ToneTag>{code("state", k.status)}</ToneTag>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {dayjs(k.createdAt).format("YYYY-MM-DD")}
        {extra ? ` · ${extra}` : ""}
      </Typography.Text>
    </List.Item>
  );
}

/** Who the customer is and how they have bought and claimed before: orders, claim rate, earlier cases. */
export function CustomerSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const code = useCodes();
  const cu = view.customer;
  // Cases of this very order are listed once, under their own heading.
  const earlier = cu?.earlierCases.filter((k) => k.orderId !== view.order.id) ?? [];
  return (
    <Section title={t("sections.customer")} testId="case-customer">
      {!cu ? (
        <Typography.Text type="secondary">{t("customer.none")}</Typography.Text>
      ) : (
        <>
          <Space wrap size={[8, 4]} style={{ marginBottom: 8 }}>
            <strong>{cu.name ?? cu.id}</strong>
            <ToneTag tone={cu.tier === "vip" ? "gold" : undefined}>
              {t(`customer.tier.${cu.tier}`, { defaultValue: cu.tier })}
            </ToneTag>
            {cu.tags.map((tag) => (
              <ToneTag key={tag}>{tag}</ToneTag>
            ))}
          </Space>
          <Descriptions
            size="small"
            column={2}
            items={[
              { key: "orders", label: t("customer.orders"), children: cu.orders },
              { key: "rate", label: t("customer.refundRate"), children: percent(cu.refundRate365d) },
              {
                key: "paid",
                label: t("customer.paid"),
                children: formatMoney(inCurrency(view, cu.paidTotal)),
              },
              {
                key: "refunded",
                label: t("customer.refunded"),
                children: formatMoney(inCurrency(view, cu.refundedTotal)),
              },
              ...(cu.creditScore !== null
                ? [{ key: "credit", label: t("customer.credit"), children: cu.creditScore }]
                : []),
              { key: "since", label: t("customer.since"), children: dayjs(cu.since).format("YYYY-MM-DD") },
            ]}
          />
          <Typography.Title level={3} style={{ fontSize: 14, marginTop: 8 }}>
            {t("customer.earlierCases")}
          </Typography.Title>
          {earlier.length === 0 ? (
            <Typography.Text type="secondary">{t("customer.noCases")}</Typography.Text>
          ) : (
            <List
              size="small"
              dataSource={earlier}
              renderItem={(k) => (
                <CaseLink
                  k={k}
                  extra={
                    k.refunded !== "0.00" && k.refunded !== "0"
                      ? `${t("lines.refunded")} ${formatMoney({ amount: k.refunded, currency: k.currency })}`
                      : undefined
                  }
                />
              )}
            />
          )}
          {cu.recentOrders.length > 1 && (
            <>
              <Typography.Title level={3} style={{ fontSize: 14, marginTop: 8 }}>
                {t("customer.recentOrders")}
              </Typography.Title>
              <List
                size="small"
                dataSource={cu.recentOrders}
                renderItem={(o) => (
                  <List.Item
                    style={{ display: "flex", gap: 8, flexWrap: "wrap", justifyContent: "flex-start" }}
                  >
                    <span style={{ wordBreak: "break-all" }}>{o.externalId}</span>
                    <span>{formatMoney({ amount: o.paidTotal, currency: o.currency })}</span>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {o.shop} · {code("orderStatus", o.aftersalesStatus)} ·{" "}
                      {o.placedAt ? dayjs(o.placedAt).format("YYYY-MM-DD") : "—"}
                    </Typography.Text>
                  </List.Item>
                )}
              />
            </>
          )}
        </>
      )}
      {view.sameOrderCases.length > 0 && (
        <>
          <Typography.Title level={3} style={{ fontSize: 14, marginTop: 8 }}>
            {t("sections.sameOrder")}
          </Typography.Title>
          <List size="small" dataSource={view.sameOrderCases} renderItem={(k) => <CaseLink k={k} />} />
        </>
      )}
    </Section>
  );
}

/** Each product's after-sales policies (不支持七天无理由, 生鲜…) and how often it is claimed. */
export function ProductsSection({ view }: { view: CaseViewData }) {
  const { t, i18n } = useCaseText();
  const en = i18n.language === "en";
  if (view.products.length === 0) return null;
  return (
    <Section title={t("sections.products")}>
      <List
        size="small"
        dataSource={view.products}
        renderItem={(p) => (
          <List.Item style={{ display: "block" }}>
            <div>
              {p.title ?? p.sku}{" "}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {p.sku}
              </Typography.Text>
            </div>
            <Space wrap size={[4, 4]} style={{ margin: "4px 0" }}>
              {p.policies.length === 0 ? (
                <Typography.Text type="secondary">{t("products.noPolicy")}</Typography.Text>
              ) : (
                p.policies.map((x) => (
                  <ToneTag key={x.code} tone="volcano">
                    {en ? x.en : x.zh}
                  </ToneTag>
                ))
              )}
            </Space>
            <div style={{ fontSize: 12 }}>
              {t("products.refundRate", {
                rate: percent(p.refundRate90d),
                claimed: p.claimed90d,
                sold: p.sold90d,
              })}
            </div>
          </List.Item>
        )}
      />
    </Section>
  );
}
