import nodemailer from "nodemailer";
import {
  type NotifyChannel,
  type NotifyMessage,
  type NotifyOutcome,
  NotifyUnavailableError,
} from "../channel.ts";

/**
 * Email over SMTP (nodemailer). Our message id becomes the Message-ID (<id@domain>), so a message the
 * outbox sends again after an unknown outcome is recognisable as the same mail by the receiving side.
 * A permanent 5xx reply refuses the message; a 4xx reply or a broken connection leaves it unknown.
 */

export interface SmtpEmailOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  pass?: string;
  /** The From header: "售后服务 <service@shop.example>". */
  from: string;
  /** Right-hand side of the Message-ID. Default: the From address's domain. */
  messageIdDomain?: string;
  /** Per connection step (connect, greeting, each reply). Default 10 s. */
  timeoutMs?: number;
}

/** What a nodemailer failure carries that we judge by. */
type SmtpError = Error & { responseCode?: number; code?: string; response?: string };

export function smtpEmailChannel(o: SmtpEmailOptions): NotifyChannel {
  const timeout = o.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure ?? false,
    ...(o.user ? { auth: { user: o.user, pass: o.pass ?? "" } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const domain = o.messageIdDomain ?? /@([^>\s]+)>?\s*$/.exec(o.from)?.[1] ?? "localhost";

  return {
    kind: "email",
    async send(m: NotifyMessage): Promise<NotifyOutcome> {
      try {
        const info = await transport.sendMail({
          from: o.from,
          to: m.to,
          subject: m.subject ?? "",
          text: m.text ?? "",
          ...(m.html ? { html: m.html } : {}),
          messageId: `<${m.id}@${domain}>`,
        });
        // The server's queue id when it says one ("250 OK: queued as X"), else our Message-ID.
        const queued = /queued as (\S+)/i.exec(String(info.response))?.[1];
        return { status: "sent", providerId: queued ?? info.messageId };
      } catch (e) {
        const err = e as SmtpError;
        const code = err.responseCode;
        if (err.code === "EAUTH" && code !== undefined && code >= 500) {
          return {
            status: "refused",
            code: `SMTP_${code}`,
            message: `the SMTP server refused our login (${err.response ?? err.message}); check SMTP_USER / SMTP_PASS`,
          };
        }
        if (code !== undefined && code >= 500) {
          return { status: "refused", code: `SMTP_${code}`, message: err.response ?? err.message };
        }
        // 4xx (try later), timeouts and dropped connections: the mail may or may not have gone.
        throw new NotifyUnavailableError(`SMTP ${m.id}: ${err.response ?? err.message}`, { cause: e });
      }
    },
  };
}
