import { sql } from "kysely";
import { CASE_TYPES } from "../domain/catalogue.ts";
import { AppError, fail } from "../domain/errors.ts";
import type { Condition } from "../domain/inventory.ts";
import { MACHINES } from "../domain/lifecycle.ts";
import type { Tx } from "../store/orders.ts";
import type { Actor, FlowContext } from "./context.ts";
import { type ReceiptLineInput, type ReceiveResult, receiveReturn } from "./receive-return.ts";
import { recordParcel } from "./unidentified-parcels.ts";

/**
 * 扫码收货: a warehouse scans a parcel's tracking number, a return code (the case's number) or a
 * product's barcode (SKU) and we find the case it belongs to. One candidate is received at once; several
 * are for the person to choose; none makes an unidentified parcel (无头件) to match later.
 */

/**
 * What a scanned code is: a return parcel's tracking number; a return code — the platform's after-sales
 * number (平台售后单号) or our case number as the console shows it ("#123"); or a product barcode (SKU).
 */
export type ScanKind = "tracking" | "case" | "sku";
export const SCAN_KINDS: readonly ScanKind[] = ["tracking", "case", "sku"];

/** States a case takes goods back in, read off the machines (every `receive` row's `from`). */
const RECEIVABLE = [
  ...new Set(
    CASE_TYPES.flatMap((t) => MACHINES[t].filter((x) => x.action === "receive").flatMap((x) => [...x.from])),
  ),
];
/** Most likely first: a return parcel signed for here, one on its way, the rest of a partial return, then waiting. */
const LIKELIHOOD = ["return_in_transit", "partially_received", "awaiting_return"];

export interface Candidate {
  caseId: number;
  orderId: number;
  orderExternalId: string;
  shop: string;
  type: string;
  status: string;
  reason: string;
  matchedBy: ScanKind;
  returnParcel: { carrier: string; trackingNo: string; signedAt: Date | null } | null;
  outstanding: { lineId: number; sku: string; title: string; quantity: number }[];
  createdAt: Date;
}

export interface ScanInput {
  /** What was scanned. */
  code: string;
  /** What the code is; default: a tracking number if a return parcel has it, else a return code, else a SKU. */
  kind?: ScanKind;
  carrier?: string;
  warehouse?: string;
  /** The scanner's id for this scan: scanning again with it changes nothing. */
  key?: string;
  /** Condition of the units (default intact). */
  condition?: Condition;
  /** Units to receive: a barcode scan is one unit; a parcel is everything still expected unless told. */
  quantity?: number;
  lines?: ReceiptLineInput[];
  photos?: string[];
  note?: string;
  /** What is inside, for an unidentified parcel. */
  contents?: string;
  shops?: readonly string[] | null;
}

export type ScanResult =
  | ({ outcome: "received"; caseId: number; matchedBy: ScanKind } & ReceiveResult)
  | { outcome: "choose"; matchedBy: ScanKind; candidates: Candidate[] }
  | { outcome: "unidentified"; parcelId: number; replayed: boolean };

/** The cases a scanned code may belong to, most likely first, with what each still expects. */
export async function findCandidates(
  db: Tx,
  code: string,
  opts: { kind?: ScanKind; shops?: readonly string[] | null } = {},
): Promise<{ matchedBy: ScanKind; candidates: Candidate[]; parcelKnown: boolean; parcelCases: number[] }> {
  const scanned = code?.trim();
  if (!scanned) fail("SCAN_REQUIRED", "Scan a tracking number or a barcode");
  const asked = opts.kind;
  if (asked === undefined || asked === "tracking") {
    const byTracking = await candidatesBy(db, "tracking", scanned, opts.shops);
    if (byTracking.parcelKnown || asked === "tracking") return byTracking;
  }
  if (asked === undefined || asked === "case") {
    const byCase = await candidatesBy(db, "case", scanned, opts.shops);
    if (byCase.parcelKnown || asked === "case") return byCase;
  }
  return candidatesBy(db, "sku", scanned, opts.shops);
}

async function candidatesBy(
  db: Tx,
  by: ScanKind,
  code: string,
  shops?: readonly string[] | null,
  caseId?: number,
) {
  const ids =
    caseId !== undefined
      ? sql`select ${caseId}::bigint as id`
      : by === "tracking"
        ? sql`select s.case_id as id from shipments s
               where s.direction = 'return' and s.tracking_no = ${code} and s.case_id is not null`
        : by === "case"
          ? returnCodeCases(code)
          : sql`select ci.case_id as id from case_items ci join order_lines l on l.id = ci.order_line_id
               where l.sku = ${code}`;
  const { rows } = await sql<{
    id: number;
    order_id: number;
    external_id: string;
    shop_id: string;
    type: string;
    status: string;
    reason: string;
    created_at: Date;
    carrier: string | null;
    tracking_no: string | null;
    signed_at: Date | null;
    outstanding: { lineId: number; sku: string; title: string; quantity: number }[];
  }>`
    select c.id, c.order_id, o.external_id, c.shop_id, c.type, c.status, c.reason, c.created_at,
           s.carrier, s.tracking_no, s.signed_at,
           (select coalesce(json_agg(json_build_object('lineId', x.line_id, 'sku', x.sku, 'title', x.title,
                                                        'quantity', x.left) order by x.line_no), '[]')
              from (select ci.order_line_id as line_id, l.sku, l.title, l.line_no,
                           ci.quantity - coalesce((select sum(rl.quantity) from receipt_lines rl
                                                    where rl.case_id = c.id and rl.order_line_id = ci.order_line_id), 0)
                             as left
                      from case_items ci join order_lines l on l.id = ci.order_line_id
                     where ci.case_id = c.id) x
             where x.left > 0) as outstanding
      from cases c
      join orders o on o.id = c.order_id
      left join lateral (select carrier, tracking_no, signed_at from shipments
                          where case_id = c.id and direction = 'return' order by id desc limit 1) s on true
     where c.id in (${ids})
       ${shops ? sql`and c.shop_id = any(${[...shops]}::text[])` : sql``}
     order by c.id`.execute(db);
  // A return parcel (or case) we know of, whether or not its cases still expect anything.
  const parcelCases = by !== "sku" && caseId === undefined ? rows.map((r) => r.id) : [];
  const candidates = rows
    .filter((r) => RECEIVABLE.includes(r.status as never))
    .map(
      (r): Candidate => ({
        caseId: r.id,
        orderId: r.order_id,
        orderExternalId: r.external_id,
        shop: r.shop_id,
        type: r.type,
        status: r.status,
        reason: r.reason,
        matchedBy: by,
        returnParcel: r.tracking_no
          ? { carrier: r.carrier as string, trackingNo: r.tracking_no, signedAt: r.signed_at }
          : null,
        outstanding: r.outstanding.filter((x) => by !== "sku" || x.sku === code),
        createdAt: r.created_at,
      }),
    )
    .filter((c) => c.outstanding.length > 0)
    .toSorted(
      (a, b) =>
        Number(Boolean(b.returnParcel?.signedAt)) - Number(Boolean(a.returnParcel?.signedAt)) ||
        LIKELIHOOD.indexOf(a.status) - LIKELIHOOD.indexOf(b.status) ||
        a.createdAt.getTime() - b.createdAt.getTime() ||
        a.caseId - b.caseId,
    );
  return { matchedBy: by, candidates, parcelKnown: parcelCases.length > 0, parcelCases };
}

/**
 * The cases a return code names: the platform's after-sales number (any letter case, as the search index
 * reads it) or "#<case id>" as the console shows a case.
 */
function returnCodeCases(code: string) {
  const own = /^#(\d{1,15})$/.exec(code);
  return own
    ? sql`select ${Number(own[1])}::bigint as id`
    : sql`select c.id from cases c where lower(c.external_id) = lower(${code})`;
}

/** What a scan receives into the chosen case, unless the caller said: a parcel everything, a barcode one unit. */
function scanContents(kind: ScanKind, code: string, c: Candidate | undefined, input: ScanInput) {
  if (input.lines?.length) return { lines: input.lines };
  if (kind !== "sku" && input.quantity === undefined && c) {
    return { lines: c.outstanding.map((x) => ({ lineId: x.lineId, quantity: x.quantity })) };
  }
  if (kind === "sku" && c) {
    let rest = input.quantity ?? 1;
    const lines: ReceiptLineInput[] = [];
    for (const x of c.outstanding.filter((o) => o.sku === code)) {
      const take = Math.min(rest, x.quantity);
      if (take > 0) lines.push({ lineId: x.lineId, quantity: take });
      rest -= take;
    }
    // More units than the case expects: let receiving say so.
    if (rest > 0)
      return { lines: [{ lineId: c.outstanding[0]?.lineId ?? 0, quantity: input.quantity ?? 1 }] };
    return { lines };
  }
  return { quantity: input.quantity ?? 1 };
}

/** Receive a scan into the case the person chose (or the one candidate). */
export async function receiveScanned(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: ScanInput,
  /** What the scan already found (scanReceive), so it is not looked up twice. */
  known?: { matchedBy: ScanKind; candidates: Candidate[] },
): Promise<ScanResult> {
  const code = input.code?.trim() ?? "";
  const found = known ?? (code ? await findCandidates(ctx.db, code, { ...input }) : null);
  // Chosen by hand without a scan: the case's whole outstanding parcel, like a tracking number.
  const kind = input.kind ?? found?.matchedBy ?? (code ? "sku" : "tracking");
  const c =
    found?.candidates.find((x) => x.caseId === caseId) ??
    (await candidatesBy(ctx.db, kind, code, input.shops, caseId)).candidates[0];
  const received = await receiveReturn(ctx, actor, caseId, {
    ...scanContents(kind, code, c, input),
    condition: input.condition ?? "intact",
    ...(input.warehouse ? { warehouse: input.warehouse } : {}),
    ...(input.key
      ? { key: input.key }
      : kind === "tracking" && code
        ? { key: `tracking:${code}:${caseId}` }
        : {}),
    ...(input.photos ? { photos: input.photos } : {}),
    ...(input.note ? { note: input.note } : {}),
    ...(code ? { scanned: code } : {}),
    ...(kind === "tracking" && code ? { trackingNo: code } : {}),
    ...(input.carrier ? { carrier: input.carrier } : {}),
    shops: input.shops ?? null,
  });
  return { outcome: "received", caseId, matchedBy: kind, ...received };
}

/**
 * 扫码: find the case by the scanned code and receive it when there is exactly one; several are returned to
 * choose from; none records an unidentified parcel.
 */
export async function scanReceive(ctx: FlowContext, actor: Actor, input: ScanInput): Promise<ScanResult> {
  const found = await findCandidates(ctx.db, input.code, input);
  if (found.candidates.length === 1) {
    return receiveScanned(
      ctx,
      actor,
      (found.candidates[0] as Candidate).caseId,
      { ...input, kind: found.matchedBy },
      found,
    );
  }
  if (found.candidates.length > 1)
    return { outcome: "choose", matchedBy: found.matchedBy, candidates: found.candidates };
  if (found.parcelKnown) {
    // The same scan again (its key, or the parcel's own when none was sent) answers with its receipt.
    const code = input.code.trim();
    const prior = await ctx.db
      .selectFrom("receipts")
      .select("case_id")
      .where("tracking_no", "=", code)
      .where("key", input.key ? "=" : "like", input.key ?? `tracking:${code.replace(/[\\%_]/g, "\\$&")}:%`)
      .orderBy("id")
      .executeTakeFirst();
    if (prior) return receiveScanned(ctx, actor, prior.case_id, { ...input, kind: "tracking" });
    throw new AppError(
      "PARCEL_ALREADY_RECEIVED",
      `The return parcel ${code} belongs to case ${found.parcelCases.join(", ")}, which expects nothing more (received already, or closed)`,
      { code, cases: found.parcelCases },
    );
  }
  const code = input.code.trim();
  const parcel = await recordParcel(ctx, actor, {
    scanned: code,
    ...(found.matchedBy === "tracking" || input.kind === "tracking" || input.carrier
      ? { trackingNo: code }
      : {}),
    ...(input.carrier ? { carrier: input.carrier } : {}),
    ...(input.warehouse ? { warehouse: input.warehouse } : {}),
    ...(input.contents ? { contents: input.contents } : {}),
    ...(input.photos ? { photos: input.photos } : {}),
    ...(input.note ? { note: input.note } : {}),
    ...(input.key ? { key: input.key } : {}),
  });
  return { outcome: "unidentified", parcelId: parcel.id, replayed: parcel.replayed };
}

export interface BatchLine {
  index: number;
  ok: boolean;
  result?: ScanResult;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** 批量收货: each scan on its own; a bad line is reported and the others go through. */
export async function scanBatch(
  ctx: FlowContext,
  actor: Actor,
  scans: (ScanInput & { caseId?: number })[],
): Promise<BatchLine[]> {
  const out: BatchLine[] = [];
  for (const [index, s] of scans.entries()) {
    try {
      const result =
        s.caseId !== undefined
          ? await receiveScanned(ctx, actor, s.caseId, s)
          : await scanReceive(ctx, actor, s);
      out.push({ index, ok: true, result });
    } catch (e) {
      // Even an unexpected failure is this line's alone: its transaction rolled back, the others go on.
      const error =
        e instanceof AppError
          ? { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }
          : { code: "INTERNAL_ERROR", message: (e as Error).message };
      out.push({ index, ok: false, error });
    }
  }
  return out;
}
