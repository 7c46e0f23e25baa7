import { readFileSync } from "node:fs";
import { AppError } from "../domain/errors.ts";
import { formatMinor, parseMinor } from "../domain/money.ts";
import { canFetchBills } from "../domain/reconcile/bill.ts";
import {
  addDays,
  beijingDate,
  PROBLEMS,
  type ReconciliationItem,
  type ReconciliationSummary,
} from "../domain/reconcile/match.ts";
import { RECONCILABLE_CHANNELS, type ReconcileResult, reconcileDay } from "../flows/reconcile.ts";
import { readConfig } from "./config.ts";
import { localOrService, type ServiceClient } from "./local-service.ts";
import { usageError } from "./messages.ts";
import { openRuntime } from "./service.ts";

export const RECONCILE_USAGE = `Usage: aftersales reconcile [--channel wechat_pay|alipay] [--date YYYY-MM-DD] [--file bill]

Compares a payment channel's refund bill of one day (Beijing time; default yesterday) with our refunds,
stores the report (GET /api/v1/reconciliations) and prints its summary and the items to look at.
Without --file the bill is fetched from the channel (every channel that can, without --channel);
with --file the given bill is used: WeChat Pay's CSV, or Alipay's zip or its 业务明细 CSV.

The database options of \`aftersales\` apply (--data-dir, --database-url, DATA_DIR, DATABASE_URL).
`;

const HELP = "aftersales reconcile help";

const OWN = new Set(["channel", "date", "file"]);

/** Take --channel, --date, --file out of argv; the rest goes to readConfig. */
function split(argv: readonly string[]) {
  const own: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (m && OWN.has(m[1] as string)) {
      const value = m[2] ?? argv[++i];
      if (value === undefined)
        throw usageError(`--${m[1]} needs a value`, "needs_value", { option: `--${m[1]}` }, HELP);
      own[m[1] as string] = value;
    } else rest.push(arg);
  }
  return { own, rest };
}

const LABELS: Record<string, string> = {
  missing_on_our_side: "missing on our side",
  missing_on_channel: "missing on the channel",
  amount_mismatch: "amount mismatch",
  status_mismatch: "status mismatch",
  awaiting_next_bill: "awaiting the next day's bill",
};

export function printReport(r: ReconcileResult, log: (line: string) => void = console.log) {
  const s = r.summary;
  const c = s.counts;
  log(
    `${r.channel} ${r.date} (${r.source === "upload" ? "uploaded bill" : "bill fetched from the channel"}), report ${r.runId}: ` +
      `${s.billRows} bill rows; matched ${c.matched}, missing on our side ${c.missing_on_our_side}, ` +
      `missing on the channel ${c.missing_on_channel}, amount mismatch ${c.amount_mismatch}, ` +
      `status mismatch ${c.status_mismatch}, awaiting ${c.awaiting_next_bill}`,
  );
  log(
    `  refunded per the bill ${formatMinor(s.billSucceededTotal, s.currency)} ${s.currency}, ` +
      `per us ${formatMinor(s.ourSucceededTotal, s.currency)} ${s.currency}`,
  );
  for (const i of [...r.problems, ...r.awaiting]) {
    const amounts = [
      i.ourAmount !== null ? `ours ${formatMinor(i.ourAmount, i.currency)}` : null,
      i.billAmount !== null ? `bill ${formatMinor(i.billAmount, i.currency)}` : null,
    ]
      .filter(Boolean)
      .join(", ");
    log(
      `  ${(LABELS[i.category] ?? i.category).padEnd(28)} ${i.key}${i.refundId ? ` (refund ${i.refundId})` : ""}` +
        `${amounts ? `  ${amounts}` : ""}${i.note ? `  — ${i.note.en}` : ""}`,
    );
  }
  if (r.problems.length === 0) log("  no problems");
}

export async function runReconcile(argv: string[]): Promise<void> {
  if (argv[0] === "help" || argv.includes("--help") || argv.includes("-h")) {
    console.log(RECONCILE_USAGE);
    return;
  }
  const { own, rest } = split(argv);
  const { config, positionals } = readConfig(rest);
  if (positionals.length > 1) {
    const extra = positionals.slice(1).join(" ");
    throw usageError(`unexpected "${extra}"`, "unexpected", { value: extra }, HELP);
  }
  if (own.channel && !RECONCILABLE_CHANNELS.includes(own.channel)) {
    throw usageError(`--channel is one of ${RECONCILABLE_CHANNELS.join(", ")}`, "one_of", {
      option: "--channel",
      allowed: RECONCILABLE_CHANNELS,
    });
  }
  if (own.file && !own.channel)
    throw usageError("--file needs --channel", "needs_option", { option: "--file", needs: "--channel" });
  const file = own.file ? readBill(own.file) : undefined;
  // The running service holds the embedded database: the same reconciliation goes through its API.
  const opened = await localOrService(config, () => openRuntime(config));
  if (opened.service) return reconcileThroughService(opened.service, own.channel, own.date, file);
  const rt = opened.local;
  try {
    const date = own.date ?? addDays(beijingDate(rt.ctx.now()), -1);
    const channels = own.channel
      ? [own.channel]
      : RECONCILABLE_CHANNELS.filter((c) => rt.ctx.payments.has(c) && canFetchBills(rt.ctx.payments.get(c)));
    if (channels.length === 0)
      throw usageError("no payment channel can fetch bills here; use --file", "no_bill_channel");
    for (const channel of channels) {
      const r = await reconcileDay(
        rt.ctx,
        { kind: "user", id: "cli" },
        { channel, date, ...(file ? { file } : {}) },
      );
      printReport(r);
    }
  } finally {
    await rt.close();
  }
}

function readBill(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AppError("BILL_FILE_UNREADABLE", `Cannot read ${path} (${(e as NodeJS.ErrnoException).code})`, {
      file: path,
    });
  }
}

/** A report as the API answers it (amounts as decimal strings), back in the shape printReport reads. */
interface ApiRun {
  id: number;
  channel: string;
  date: string;
  source: "channel" | "upload";
  billRows: number;
  counts: ReconciliationSummary["counts"];
  problems: number;
  ignored: number;
  currency: string;
  billSucceededTotal: string;
  ourSucceededTotal: string;
  items: (Omit<ReconciliationItem, "ourAmount" | "billAmount"> & {
    ourAmount: string | null;
    billAmount: string | null;
  })[];
}

function fromApi(r: ApiRun): ReconcileResult {
  const minor = (v: string | null, currency: string) =>
    v === null ? null : parseMinor(v, currency, { allowNegative: true });
  const items: ReconciliationItem[] = r.items.map((i) => ({
    ...i,
    ourAmount: minor(i.ourAmount, i.currency),
    billAmount: minor(i.billAmount, i.currency),
  }));
  return {
    runId: r.id,
    channel: r.channel,
    date: r.date,
    source: r.source,
    summary: {
      counts: r.counts,
      problems: r.problems,
      ignored: r.ignored,
      billRows: r.billRows,
      currency: r.currency,
      billSucceededTotal: minor(r.billSucceededTotal, r.currency) ?? 0,
      ourSucceededTotal: minor(r.ourSucceededTotal, r.currency) ?? 0,
    },
    problems: items.filter((i) => PROBLEMS.includes(i.category)),
    awaiting: items.filter((i) => i.category === "awaiting_next_bill"),
  };
}

/**
 * POST /api/v1/reconciliations for each channel, printed as a local run prints. Without --channel,
 * every channel the service can fetch bills for (the others answer RECONCILIATION_CHANNEL_NOT_CONFIGURED).
 */
async function reconcileThroughService(
  svc: ServiceClient,
  channel: string | undefined,
  day: string | undefined,
  file: Buffer | undefined,
) {
  const date = day ?? addDays(beijingDate(new Date()), -1);
  let done = 0;
  for (const c of channel ? [channel] : RECONCILABLE_CHANNELS) {
    let run: ApiRun;
    try {
      run = await svc.request<ApiRun>("POST", "/api/v1/reconciliations", {
        query: { channel: c, date },
        ...(file ? { body: file, type: "application/octet-stream" } : {}),
      });
    } catch (e) {
      if (!channel && e instanceof AppError && e.code === "RECONCILIATION_CHANNEL_NOT_CONFIGURED") continue;
      throw e;
    }
    printReport(fromApi(run));
    done++;
  }
  if (done === 0) throw usageError("no payment channel can fetch bills here; use --file", "no_bill_channel");
}
