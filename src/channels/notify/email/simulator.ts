import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { SimulatedNotify } from "../channel.ts";
import { startSimServer } from "../sim-http.ts";
import { smtpEmailChannel } from "./adapter.ts";

/**
 * A local SMTP server (smtp-server) that takes mail as a relay would, parses each one (mailparser) and
 * keeps it; AUTH is required only when a user is configured. Faults make the next RCPT TO fail with 550
 * (mailbox unavailable), 421/451 (try later), or the next connection drop before the greeting. Its
 * mailbox is served read-only over HTTP (/_sim/messages, /_sim/).
 */

export interface EmailSimulatorOptions {
  /** The SMTP port. Default: any free one. */
  port?: number;
  /** The HTTP view's port. Default: any free one. */
  httpPort?: number;
  host?: string;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
}

/** One received mail, parsed. */
export interface SimEmail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelope: { from: string; to: string[] };
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  messageId: string;
  date: string | null;
  /** What the server answered: "queued as <queueId>". */
  queueId: string;
}

export type EmailFault = "550" | "421" | "451" | "drop";

export interface EmailSimulator {
  /** The HTTP view of the mailbox. */
  url: string;
  smtp: { host: string; port: number };
  /** Credentials when AUTH is required. */
  auth: { user: string; pass: string } | null;
  received(): SimEmail[];
  /** The next `times` deliveries fail this way. */
  fail(fault: EmailFault, times?: number): void;
  close(): Promise<void>;
}

const REPLIES: Record<Exclude<EmailFault, "drop">, string> = {
  "550": "Requested action not taken: mailbox unavailable",
  "421": "Service not available, closing transmission channel",
  "451": "Requested action aborted: local error in processing",
};

export async function startEmailSimulator(opts: EmailSimulatorOptions = {}): Promise<EmailSimulator> {
  const host = opts.host ?? "127.0.0.1";
  const messages: SimEmail[] = [];
  const faults: EmailFault[] = [];

  const smtp = new SMTPServer({
    name: "smtp.sim.local",
    banner: "Aftersales SMTP simulator",
    disabledCommands: ["STARTTLS"], // plain text on loopback; nodemailer then does not attempt TLS
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        return callback(null, { user: auth.username });
      }
      callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      const fault = faults[0];
      if (fault === undefined || fault === "drop") return callback();
      faults.shift();
      callback(Object.assign(new Error(REPLIES[fault]), { responseCode: Number(fault) }));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const queueId = randomBytes(6).toString("hex").toUpperCase();
          const addresses = (a: typeof mail.to) =>
            [a ?? []]
              .flat()
              .map((x) => x.text)
              .join(", ");
          messages.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            from: mail.from?.text ?? "",
            to: addresses(mail.to),
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            html: typeof mail.html === "string" ? mail.html : null,
            messageId: mail.messageId ?? "",
            date: mail.date?.toISOString() ?? null,
            queueId,
          });
          callback(null, `OK: queued as ${queueId}`);
        })
        .catch((e: unknown) => callback(e as Error));
    },
  });
  // A dropped connection: closed before the greeting, as a crashed or overloaded relay would.
  smtp.server.on("connection", (socket) => {
    if (faults[0] === "drop") {
      faults.shift();
      socket.destroy();
    }
  });
  smtp.on("error", () => {}); // client-side resets are the client's business
  await new Promise<void>((resolve, reject) => {
    smtp.server.once("error", reject);
    smtp.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (smtp.server.address() as AddressInfo).port;

  const view = await startSimServer(
    { host, ...(opts.httpPort !== undefined ? { port: opts.httpPort } : {}) },
    {
      title: "邮件 Email (SMTP simulator)",
      messages: () => messages,
      columns: {
        date: (m: SimEmail) => m.date,
        to: (m: SimEmail) => m.to,
        subject: (m: SimEmail) => m.subject,
        text: (m: SimEmail) => m.text,
        "Message-ID": (m: SimEmail) => m.messageId,
      },
    },
    () => ({ status: 404, body: { error: "read-only: GET /_sim/ or /_sim/messages" } }),
  );

  return {
    url: view.url,
    smtp: { host, port },
    auth: opts.auth ?? null,
    received: () => structuredClone(messages),
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    async close() {
      await view.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

/** Email on its simulator, sent through the real adapter. `port` is the mailbox view's (SMTP takes any free one). */
export async function simulateEmail(o: { port?: number; host?: string } = {}): Promise<SimulatedNotify> {
  const sim = await startEmailSimulator({
    ...(o.host ? { host: o.host } : {}),
    ...(o.port !== undefined ? { httpPort: o.port } : {}),
    auth: { user: "aftersales", pass: randomBytes(9).toString("base64url") },
  });
  return {
    simulator: sim,
    url: sim.url,
    adapter: smtpEmailChannel({
      ...sim.smtp,
      user: sim.auth?.user as string,
      pass: sim.auth?.pass as string,
      from: "售后服务 <service@shop.example>",
    }),
    close: () => sim.close(),
  };
}
