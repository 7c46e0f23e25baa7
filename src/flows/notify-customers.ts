import { type Kysely, sql } from "kysely";
import type { NotifyKind } from "../channels/notify/channel.ts";
import { NOTIFY_CHANNELS } from "../channels/notify/registry.ts";
import { CATALOGUES } from "../domain/messages/index.ts";
import { formatMinor } from "../domain/money.ts";
import type { NotifyLanguage, NotifyVars } from "../domain/notify/kind.ts";
import { kindsRaisedBy, NOTIFICATION_KINDS } from "../domain/notify/kinds.ts";
import { DEFAULT_SCHEDULE, dueAt } from "../domain/notify/schedule.ts";
import type { DB } from "../store/schema.ts";
import type { FlowContext } from "./context.ts";
import type { FeedConsumer } from "./fan-out.ts";
import { isTimeZone } from "./settings.ts";

/** The channels a customer may be messaged on: the registry's, in its order. */
export const NOTIFY_KINDS = Object.keys(NOTIFY_CHANNELS) as NotifyKind[];

/** What becomes of a message: sending and waiting (flow control) on the way; unknown when an attempt died mid-call. */
export const NOTIFICATION_STATUSES = [
  "queued",
  "sending",
  "waiting",
  "sent",
  "refused",
  "superseded",
  "unknown",
] as const;

/** An event older than this when it reaches the feed is not news to tell anyone about. */
const STALE_MS = 3_600_000;

/** How long the customer has to send goods back once a return is approved (shown in the message). */
const RETURN_DAYS = 7;

interface Row {
  event_id: string | number;
  case_id: string | number;
  case_type: string;
  case_ref: string;
  order_ref: string;
  currency: string;
  shop: string;
  note: string | null;
  phone: string | null;
  email: string | null;
  wechat_openid: string | null;
  language: string | null;
  opt_out: string[] | null;
  refund_amount: string | number | null;
  refund_channel: string | null;
  tz: unknown;
}

/**
 * 通知: compose the customer's messages for committed timeline events — one per event, kind and channel
 * the customer can be reached on and has not said no to — and queue each in the outbox (notify.send) for
 * when it is due: after the burst window, and for SMS outside quiet hours. A newer message for the same
 * case and channel supersedes one still queued, so a burst of moves is one message about where it ended.
 */
export const notifyCustomers: FeedConsumer = async (ctx, tx, events) => {
  const { rows } = await sql<Row>`
    select e.id as event_id, c.id as case_id, c.type as case_type,
           coalesce(c.external_id, '#' || c.id) as case_ref, o.external_id as order_ref, c.currency,
           s.name as shop, e.note, cu.phone, cu.email, cu.wechat_openid, cu.language,
           cu.notify_opt_out as opt_out,
           (select sum(r.amount) from refunds r where r.case_id = c.id
               and r.grant_no = (select max(grant_no) from refunds where case_id = c.id)) as refund_amount,
           (select r.channel from refunds r where r.case_id = c.id order by r.id desc limit 1) as refund_channel,
           (select value from settings where key = 'timezone') as tz
      from case_events e
      join cases c on c.id = e.case_id
      join orders o on o.id = c.order_id
      join shops s on s.id = c.shop_id
      join customers cu on cu.id = c.customer_id
     where e.id = any(${events.map((e) => e.eventId)}::bigint[])
     order by e.id`.execute(tx);
  const byEvent = new Map(rows.map((r) => [Number(r.event_id), r]));
  const stale = ctx.now().getTime() - STALE_MS;
  for (const event of events) {
    const r = byEvent.get(event.eventId);
    if (!r) continue; // no customer to tell (an order without one)
    if (event.at.getTime() < stale) continue; // history recorded late (an import, the demo's past): old news
    const kinds = kindsRaisedBy({ action: event.action, toStatus: event.toStatus, caseType: r.case_type });
    if (kinds.length === 0) continue;
    const language: NotifyLanguage = r.language?.startsWith("en") ? "en" : "zh";
    const timeZone = isTimeZone(r.tz) ? r.tz : "Asia/Shanghai";
    const vars = varsOf(r, event.at, language, timeZone);
    const optOut = new Set(r.opt_out ?? []);
    const contacts: Record<NotifyKind, string | null> = {
      // A masked number (138****8000, as platforms give it) reaches no one.
      sms: r.phone?.includes("*") ? null : r.phone,
      email: r.email,
      wechat: r.wechat_openid,
    };
    for (const kind of kinds) {
      for (const channel of NOTIFY_KINDS) {
        const to = contacts[channel];
        if (!to || optOut.has(channel) || optOut.has("all")) continue;
        const due = dueAt(event.at, channel, NOTIFICATION_KINDS[kind].urgent ?? false, {
          ...DEFAULT_SCHEDULE,
          timeZone,
        });
        await queue(ctx, tx, {
          caseId: Number(r.case_id),
          eventId: event.eventId,
          kind,
          channel,
          to,
          language,
          vars,
          due,
        });
      }
    }
  }
};

/** Supersede what is still queued for the case on the channel, and queue this one with its outbox message. */
async function queue(
  ctx: FlowContext,
  tx: Kysely<DB>,
  m: {
    caseId: number;
    eventId: number;
    kind: string;
    channel: string;
    to: string;
    language: NotifyLanguage;
    vars: NotifyVars;
    due: Date;
  },
) {
  const now = ctx.now();
  await sql`
    with old as (
      update notifications set status = 'superseded', updated_at = ${now}
       where case_id = ${m.caseId} and channel = ${m.channel} and status = 'queued' and event_id < ${m.eventId}
      returning id),
    n as (
      insert into notifications (case_id, event_id, kind, channel, recipient, language, vars, due_at, created_at, updated_at)
      values (${m.caseId}, ${m.eventId}, ${m.kind}, ${m.channel}, ${m.to}, ${m.language}, ${JSON.stringify(m.vars)}::jsonb,
              ${m.due}, ${now}, ${now})
      on conflict (event_id, kind, channel) do nothing
      returning id)
    insert into outbox (topic, key, payload, available_at)
    select 'notify.send', 'notify:' || n.id, jsonb_build_object('notificationId', n.id), ${m.due}::timestamptz from n
    on conflict (topic, key) do nothing`.execute(tx);
}

/** What the message may say, frozen when the event happened (the message is about that moment). */
function varsOf(r: Row, at: Date, language: NotifyLanguage, timeZone: string): NotifyVars {
  const lang = language === "en" ? "en" : "zh-CN";
  const deadline = new Date(at.getTime() + RETURN_DAYS * 86_400_000);
  return {
    case: r.case_ref,
    order: r.order_ref,
    shop: r.shop,
    amount: r.refund_amount === null ? "" : money(Number(r.refund_amount), r.currency),
    to: r.refund_channel ? (CATALOGUES[lang].terms.channel?.[r.refund_channel] ?? r.refund_channel) : "",
    note: r.note ?? "",
    // 2026-11-08 in either language: a WeChat date value must read so.
    deadline: new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).format(deadline),
    link: `/portal/cases/${r.case_id}`,
  };
}

const SYMBOLS: Record<string, string> = { CNY: "¥", USD: "$", EUR: "€", GBP: "£", JPY: "¥", HKD: "HK$" };

/** ¥12.30: a decimal with its currency, as a customer reads it. */
const money = (minor: number, currency: string) => {
  const symbol = SYMBOLS[currency];
  return symbol ? `${symbol}${formatMinor(minor, currency)}` : `${formatMinor(minor, currency)} ${currency}`;
};
