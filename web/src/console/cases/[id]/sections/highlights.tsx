import { Col, List, Row, Space, Typography } from "antd";
import dayjs from "dayjs";
import type { ReactNode } from "react";
import { label } from "../../../../shared/i18n.ts";
import { ToneTag } from "../../../../shared/tone.tsx";
import type { CaseViewData, Highlight } from "../data.ts";
import { percent } from "../format.ts";
import { useCaseText } from "../text.ts";
import { EvidenceGallery } from "./evidence.tsx";
import { Section } from "./section.tsx";

const time = (at: string | null | undefined) => (at ? dayjs(at).format("YYYY-MM-DD HH:mm") : "—");

/** One side of a comparison, under its own heading. */
function Side({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div style={{ background: "#fafafa", borderRadius: 6, padding: 12, height: "100%" }}>
      <Typography.Title level={3} style={{ fontSize: 13, marginTop: 0 }}>
        {title}
      </Typography.Title>
      {children}
    </div>
  );
}

function Item({ h, view }: { h: Highlight; view: CaseViewData }) {
  const { t, i18n } = useCaseText();
  const en = i18n.language === "en";
  switch (h.kind) {
    case "ordered_vs_received":
      // 发错货: what was ordered beside what the customer says arrived, and what the warehouse saw.
      return (
        <Row gutter={[12, 12]} data-highlight={h.kind}>
          <Col xs={24} sm={12}>
            <Side title={t("highlights.ordered")}>
              {h.ordered.map((o) => (
                <div key={o.sku}>
                  <strong>{o.title ?? o.sku}</strong> × {o.quantity}
                  <div style={{ fontSize: 12, color: "#595959" }}>{o.sku}</div>
                </div>
              ))}
            </Side>
          </Col>
          <Col xs={24} sm={12}>
            <Side title={t("highlights.received")}>
              {h.received.sku || h.received.title ? (
                <div>
                  <strong>{h.received.title ?? h.received.sku}</strong>
                  {h.received.sku && <div style={{ fontSize: 12, color: "#595959" }}>{h.received.sku}</div>}
                </div>
              ) : (
                <Typography.Text type="secondary">{t("highlights.notStated")}</Typography.Text>
              )}
              {h.received.warehouseConditions.length > 0 && (
                <div style={{ marginTop: 4, fontSize: 13 }}>
                  {t("highlights.warehouse", {
                    conditions: h.received.warehouseConditions
                      .map((c) => t(`form.conditions.${c}`, { defaultValue: c }))
                      .join(", "),
                  })}
                </div>
              )}
            </Side>
          </Col>
        </Row>
      );
    case "parcel_progress":
      // 物流延误: the last scan, when it should arrive and whether it is late.
      return (
        <Row gutter={[12, 12]} data-highlight={h.kind}>
          <Col xs={24} sm={14}>
            <Side title={t("highlights.lastScan")}>
              {h.lastEvent ? (
                <>
                  <div>{h.lastEvent.description}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {time(h.lastEvent.at)}
                    {h.lastEvent.location ? ` · ${h.lastEvent.location}` : ""}
                  </Typography.Text>
                </>
              ) : (
                <Typography.Text type="secondary">{t("highlights.noScan")}</Typography.Text>
              )}
            </Side>
          </Col>
          <Col xs={24} sm={10}>
            <Side title={t("highlights.eta")}>
              <div>{time(h.eta)}</div>
              <Space wrap size={4} style={{ marginTop: 4 }}>
                <ToneTag tone={h.overdue ? "red" : "green"}>
                  {h.overdue ? t("highlights.overdue") : t("highlights.onTime")}
                </ToneTag>
                <ToneTag>{t(`parcels.status.${h.status}`, { defaultValue: h.status })}</ToneTag>
                {h.daysInTransit !== null && (
                  <span>{t("highlights.inTransit", { days: h.daysInTransit })}</span>
                )}
              </Space>
            </Side>
          </Col>
        </Row>
      );
    case "evidence":
      return (
        <div data-highlight={h.kind}>
          {h.description && (
            <Typography.Paragraph style={{ whiteSpace: "pre-wrap" }}>{h.description}</Typography.Paragraph>
          )}
          <EvidenceGallery items={h.items} />
        </div>
      );
    case "sku_refund_rate":
      return (
        <List
          size="small"
          data-highlight={h.kind}
          dataSource={h.skus}
          renderItem={(s) => (
            <List.Item>
              {t("highlights.skuRate", { sku: s.sku, rate: percent(s.refundRate90d) })} ({s.claimed}/{s.sold})
            </List.Item>
          )}
        />
      );
    case "delivery_proof":
      return (
        <Side title={t("highlights.proof")}>
          <div data-highlight={h.kind}>
            <ToneTag tone={h.signed ? "orange" : "green"}>
              {h.signed ? t("highlights.signed", { time: time(h.signedAt) }) : t("highlights.notSigned")}
            </ToneTag>
            {h.carrier && (
              <span>
                {h.carrier} {h.trackingNo}
              </span>
            )}
            {h.proof && (
              <div style={{ fontSize: 13, marginTop: 4 }}>
                {h.proof.description} · {time(h.proof.at)}
                {h.proof.location ? ` · ${h.proof.location}` : ""}
              </div>
            )}
          </div>
        </Side>
      );
    case "policies":
      return (
        <div data-highlight={h.kind}>
          {h.products.map((p) => (
            <div key={p.sku} style={{ marginBottom: 4 }}>
              <span style={{ marginInlineEnd: 8 }}>
                {view.lines.find((l) => l.sku === p.sku)?.title ?? p.sku}
              </span>
              {p.policies.length === 0 ? (
                <Typography.Text type="secondary">{t("products.noPolicy")}</Typography.Text>
              ) : (
                p.policies.map((x) => (
                  <ToneTag key={x.code} tone="volcano">
                    {en ? x.en : x.zh}
                  </ToneTag>
                ))
              )}
            </div>
          ))}
        </div>
      );
  }
}

/** What the back end says to look at first for this reason (发错货: the two specs; 延误: the last scan). */
export function HighlightsSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const h = view.highlights;
  if (h.items.length === 0) return null;
  return (
    <Section
      title={t("sections.highlights")}
      extra={
        <ToneTag tone="geekblue">
          {t("highlights.reason", { reason: label(h.reasonLabel) || h.reason })}
        </ToneTag>
      }
      testId="case-highlights"
    >
      <Space direction="vertical" size={12} style={{ width: "100%" }}>
        {h.items.map((item) => (
          <Item key={item.kind} h={item} view={view} />
        ))}
      </Space>
    </Section>
  );
}
