import { MailOutlined } from "@ant-design/icons";
import { Timeline, Typography } from "antd";
import dayjs from "dayjs";
import { formatMoney } from "../../../../shared/money.ts";
import { type Tone, ToneTag } from "../../../../shared/tone.tsx";
import type { CaseViewData } from "../data.ts";
import { actorText } from "../format.ts";
import { useCaseText, useCodes } from "../text.ts";
import { Section } from "./section.tsx";

type Event = CaseViewData["case"]["timeline"][number];
type Message = CaseViewData["messages"][number];

const MESSAGE_TONE: Record<Message["status"], Tone | null> = {
  queued: "blue",
  sending: "blue",
  waiting: "orange",
  sent: "green",
  refused: "red",
  superseded: null,
  unknown: "orange",
};

/** What the customer was told about one step: each message, its channel, to whom, and what became of it. */
function Messages({ messages }: { messages: Message[] }) {
  const { t } = useCaseText();
  if (messages.length === 0) return null;
  return (
    <ul aria-label={t("messages.told")} style={{ listStyle: "none", padding: 0, margin: "4px 0 0" }}>
      {messages.map((m) => (
        <li key={m.id} data-message={`${m.kind}:${m.channel}`} style={{ fontSize: 13 }}>
          <MailOutlined aria-hidden style={{ marginInlineEnd: 6 }} />
          {t(`messages.kind.${m.kind}`)} · {t(`messages.channel.${m.channel}`)} {m.to}{" "}
          {MESSAGE_TONE[m.status] ? (
            <ToneTag tone={MESSAGE_TONE[m.status] as Tone}>{t(`messages.status.${m.status}`)}</ToneTag>
          ) : (
            <Typography.Text type="secondary">{t(`messages.status.${m.status}`)} </Typography.Text>
          )}
          <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 4 }}>
            {m.sentAt
              ? dayjs(m.sentAt).format("MM-DD HH:mm")
              : m.status === "queued" || m.status === "waiting"
                ? t("messages.due", { at: dayjs(m.dueAt).format("MM-DD HH:mm") })
                : ""}
            {m.cost ? ` · ${formatMoney(m.cost)}` : ""}
          </Typography.Text>
          {m.error && m.status !== "sent" && (
            <div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {m.error}
              </Typography.Text>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

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
  const told = new Map<number, Message[]>();
  for (const m of view.messages) told.set(m.eventId, [...(told.get(m.eventId) ?? []), m]);
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
                <Messages messages={told.get(e.id) ?? []} />
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
