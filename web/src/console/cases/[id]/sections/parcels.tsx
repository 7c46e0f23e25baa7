import { Empty, Space, Timeline, Typography } from "antd";
import dayjs from "dayjs";
import { label } from "../../../../shared/i18n.ts";
import { type Tone, ToneTag } from "../../../../shared/tone.tsx";
import type { CaseViewData, Parcel } from "../data.ts";
import { useCaseText } from "../text.ts";
import { Section } from "./section.tsx";

const when = (at: string | null) => (at ? dayjs(at).format("MM-DD HH:mm") : "—");
const STATUS_COLOUR: Record<string, Tone> = {
  delivered: "green",
  exception: "red",
  intercepted: "orange",
  returned_to_sender: "orange",
  in_transit: "blue",
  shipped: "blue",
};

function ParcelCard({ parcel }: { parcel: Parcel }) {
  const { t } = useCaseText();
  const i = parcel.interception;
  return (
    <div style={{ marginBottom: 16 }} data-parcel={parcel.trackingNo}>
      <Space wrap size={[8, 4]} style={{ marginBottom: 6 }}>
        <ToneTag>{t(`parcels.direction.${parcel.direction}`, { defaultValue: parcel.direction })}</ToneTag>
        <span>{parcel.carrier}</span>
        <Typography.Text copyable strong>
          {parcel.trackingNo}
        </Typography.Text>
        <ToneTag tone={STATUS_COLOUR[parcel.status]}>
          {t(`parcels.status.${parcel.status}`, { defaultValue: parcel.status })}
        </ToneTag>
        {parcel.overdue && <ToneTag tone="red">{t("parcels.overdue")}</ToneTag>}
        {i && (
          <ToneTag tone={i.resolvedAt ? undefined : "orange"} title={i.lastError ?? undefined}>
            {t("parcels.interception", { status: label(i.label) || i.status })}
          </ToneTag>
        )}
      </Space>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 8 }}>
        {t("parcels.shipped")} {when(parcel.shippedAt)} · {t("parcels.eta")} {when(parcel.eta)} ·{" "}
        {t("parcels.signed")} {when(parcel.signedAt)}
      </Typography.Paragraph>
      {parcel.events.length === 0 ? (
        <Typography.Text type="secondary">{t("parcels.noEvents")}</Typography.Text>
      ) : (
        <Timeline
          items={parcel.events.map((e, n) => ({
            key: `${e.at}${n}`,
            color: n === 0 ? (e.status === "exception" ? "red" : "blue") : "gray",
            content: (
              <div>
                <div>{e.description}</div>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dayjs(e.at).format("MM-DD HH:mm")}
                  {e.location ? ` · ${e.location}` : ""}
                </Typography.Text>
              </div>
            ),
          }))}
        />
      )}
    </div>
  );
}

/** Every parcel of the order — out, back, replacements — with its scans and any interception. */
export function ParcelsSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  return (
    <Section title={t("sections.parcels")} testId="case-parcels">
      {view.parcels.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("parcels.none")} />
      ) : (
        [...view.parcels].reverse().map((p) => <ParcelCard key={p.id} parcel={p} />)
      )}
    </Section>
  );
}
