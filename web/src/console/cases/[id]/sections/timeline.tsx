import { Timeline, Typography } from "antd";
import dayjs from "dayjs";
import { formatMoney } from "../../../../shared/money.ts";
import type { CaseViewData } from "../data.ts";
import { actorText } from "../format.ts";
import { useCaseText, useCodes } from "../text.ts";
import { Section } from "./section.tsx";

type Event = CaseViewData["case"]["timeline"][number];

/** The few facts of a step's data worth a line: an amount, a parcel, a channel's code, a new owner. */
function facts(e: Event): string[] {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  if (typeof d.amount === "string" && typeof d.currency === "string")
    out.push(formatMoney({ amount: d.amount, currency: d.currency }));
  if (typeof d.trackingNo === "string")
    out.push(`${typeof d.carrier === "string" ? `${d.carrier} ` : ""}${d.trackingNo}`);
  if (typeof d.code === "string") out.push(d.code);
  const to = d.to as { name?: string } | null | undefined;
  if (e.action === "assign" && to && typeof to === "object" && to.name) out.push(`→ ${to.name}`);
  return out;
}

/** Every step of the case, newest first: who, what, from which state to which, and why. */
export function TimelineSection({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const code = useCodes();
  const events = [...view.case.timeline].reverse();
  return (
    <Section title={t("sections.timeline")} testId="case-timeline">
      {events.length === 0 ? (
        <Typography.Text type="secondary">{t("timeline.empty")}</Typography.Text>
      ) : (
        <Timeline
          items={events.map((e, n) => ({
            key: `${e.at}-${n}`,
            color: e.action.includes("fail") || e.action === "reject" ? "red" : n === 0 ? "blue" : "gray",
            content: (
              <div data-event={e.action}>
                <div>
                  <strong>{t(`events.${e.action}`, { defaultValue: e.action })}</strong>
                  {e.from !== e.to && e.to && (
                    <span style={{ marginInlineStart: 6 }}>
                      {e.from ? `${code("state", e.from)} → ` : ""}
                      {code("state", e.to)}
                    </span>
                  )}
                  {facts(e).map((f) => (
                    <span key={f} style={{ marginInlineStart: 6 }}>
                      {f.startsWith("→") ? f : `· ${f}`}
                    </span>
                  ))}
                </div>
                {e.note && <div style={{ whiteSpace: "pre-wrap", fontSize: 13 }}>{e.note}</div>}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dayjs(e.at).format("YYYY-MM-DD HH:mm")} · {actorText(t, e.actor)}
                </Typography.Text>
              </div>
            ),
          }))}
        />
      )}
    </Section>
  );
}
