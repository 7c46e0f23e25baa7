import { sql } from "kysely";
import {
  type NotifyChannel,
  type NotifyKind,
  type NotifyMessage,
  NotifyUnavailableError,
} from "../channels/notify/channel.ts";
import { checkSubscribeValue, subscribeValueKind } from "../channels/notify/wechat/values.ts";
import { fill, type NotifyLanguage, type NotifyVars } from "../domain/notify/kind.ts";
import { NOTIFICATION_KINDS, type NotificationKindCode } from "../domain/notify/kinds.ts";
import type { FlowContext } from "./context.ts";

/** What the outbox does with a message next. */
export type SendResult = "done" | { retry: string };

/** How long a message may sit in `sending` before a retry treats its attempt as lost (see below). */
const SENDING_LEASE_MS = 10 * 60_000;

/**
 * Send one composed message (通知) through its channel and record what became of it. Providers do not
 * de-duplicate (Aliyun SendSms, WeChat's one-time subscriptions), so the message is marked `sending`
 * before the call: an attempt whose process died during the call is not repeated — its outcome is
 * unknown, recorded as such — while a channel that answered "unavailable" is tried again by the outbox.
 */
export async function sendNotification(ctx: FlowContext, notificationId: number): Promise<SendResult> {
  const now = ctx.now();
  // Take the message: only a queued or waiting one, or one whose attempt was lost long ago.
  const taken = await sql<{
    id: number;
    case_id: number;
    kind: string;
    channel: string;
    recipient: string;
    language: string;
    vars: NotifyVars;
    status_was: string;
  }>`
    update notifications n set status = 'sending', attempts = attempts + 1, updated_at = ${now}
      from (select id, status as status_was from notifications where id = ${notificationId} for update) o
     where n.id = o.id
       and (n.status in ('queued', 'waiting')
            or (n.status = 'sending' and n.updated_at < ${new Date(now.getTime() - SENDING_LEASE_MS)}))
    returning n.id, n.case_id, n.kind, n.channel, n.recipient, n.language, n.vars, o.status_was`.execute(
    ctx.db,
  );
  const n = taken.rows[0];
  if (!n) return "done"; // sent, refused or superseded already
  if (n.status_was === "sending") {
    await record(ctx, n.id, "unknown", { error: "an earlier attempt died during the call; not sent again" });
    return "done";
  }
  const channel = ctx.notify?.[n.channel as NotifyKind];
  if (!channel) {
    await record(ctx, n.id, "refused", {
      error: `NOTIFY_CHANNEL_NOT_CONFIGURED: no ${n.channel} channel is set up`,
    });
    return "done";
  }
  const message = compose(channel, n);
  // WeChat refuses a value that breaks its kind's rule (47003) and the subscription is spent: check first.
  const broken = channel.kind === "wechat" ? brokenValue(message.params ?? {}) : undefined;
  if (broken) {
    await record(ctx, n.id, "refused", { error: `WECHAT_VALUE_RULE: ${broken}` });
    return "done";
  }
  let outcome: Awaited<ReturnType<NotifyChannel["send"]>>;
  try {
    outcome = await channel.send(message);
  } catch (e) {
    const why = e instanceof NotifyUnavailableError ? e.message : e instanceof Error ? e.message : String(e);
    await record(ctx, n.id, "queued", { error: why });
    return { retry: why };
  }
  if (outcome.status === "sent") {
    await record(ctx, n.id, "sent", {
      providerId: outcome.providerId,
      cost: channel.cost?.amount ?? null,
      currency: channel.cost?.currency ?? null,
    });
    return "done";
  }
  if (outcome.status === "refused") {
    await record(ctx, n.id, "refused", { error: `${outcome.code}: ${outcome.message}` });
    return "done";
  }
  // Flow control: wait as the provider says, on a message of its own (this one is done with).
  await sql`
    with w as (update notifications set status = 'waiting', due_at = ${outcome.retryAt}, error = ${`${outcome.code}: ${outcome.message}`},
                                         updated_at = ${now} where id = ${n.id} returning attempts)
    insert into outbox (topic, key, payload, available_at)
    select 'notify.send', ${`notify:${n.id}:`} || w.attempts, jsonb_build_object('notificationId', ${n.id}::bigint),
           ${outcome.retryAt}::timestamptz from w
    on conflict (topic, key) do nothing`.execute(ctx.db);
  return "done";
}

/** The message a channel sends: its provider template and parameters, or the words filled in. */
function compose(
  channel: NotifyChannel,
  n: { id: number; kind: string; recipient: string; language: string; vars: NotifyVars },
): NotifyMessage {
  const kind = NOTIFICATION_KINDS[n.kind as NotificationKindCode];
  const words = kind.words[(n.language === "en" ? "en" : "zh") as NotifyLanguage];
  const base = { id: `notify-${n.id}`, to: n.recipient };
  if (channel.kind === "sms")
    return { ...base, template: kind.sms.template, params: pick(n.vars, kind.sms.params) };
  if (channel.kind === "wechat")
    return {
      ...base,
      template: kind.wechat.template,
      params: Object.fromEntries(
        Object.entries(kind.wechat.data).map(([key, v]) => [key, fitWechat(key, n.vars[v] ?? "")]),
      ),
      page: n.vars.link,
      lang: n.language === "en" ? "en_US" : "zh_CN",
    };
  return { ...base, subject: fill(words.subject, n.vars), text: fill(words.text, n.vars) };
}

/** A `thing` is at most 20 characters: a longer one (a shop's name, a reason) is cut, with an ellipsis. */
function fitWechat(key: string, value: string): string {
  const chars = [...value];
  return subscribeValueKind(key) === "thing" && chars.length > 20 ? `${chars.slice(0, 19).join("")}…` : value;
}

const brokenValue = (params: Record<string, string>) =>
  Object.entries(params)
    .map(([key, value]) => {
      const why = checkSubscribeValue(key, value);
      return why ? `${key} "${value}": ${why}` : undefined;
    })
    .find(Boolean);

const pick = (vars: NotifyVars, names: readonly (keyof NotifyVars)[]) =>
  Object.fromEntries(names.map((k) => [k, vars[k] ?? ""]));

async function record(
  ctx: FlowContext,
  id: number,
  status: string,
  o: { providerId?: string; error?: string; cost?: number | null; currency?: string | null },
) {
  const now = ctx.now();
  await ctx.db
    .updateTable("notifications")
    .set({
      status,
      updated_at: now,
      error: o.error ?? null,
      ...(status === "sent"
        ? {
            sent_at: now,
            provider_id: o.providerId ?? null,
            cost: o.cost ?? null,
            currency: o.currency ?? null,
          }
        : {}),
    })
    .where("id", "=", id)
    .execute();
}
