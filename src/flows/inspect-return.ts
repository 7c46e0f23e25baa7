import { sql } from "kysely";
import type { CaseType } from "../domain/catalogue.ts";
import { fail } from "../domain/errors.ts";
import {
  defaultFinding,
  type Finding,
  type InspectedUnits,
  paidShare,
  type RefundRecommendation,
  recommendRefund,
  unitsDeduction,
  validateFinding,
} from "../domain/inspection.ts";
import { type Condition, type Disposition, dispositionFor, inspectionDelta } from "../domain/inventory.ts";
import { type CaseState, transitionsFor } from "../domain/lifecycle.ts";
import { formatMinor, parseMinor } from "../domain/money.ts";
import { compiled } from "../store/compiled.ts";
import { applyMovements, caseReceiptLines } from "../store/inventory.ts";
import type { Tx } from "../store/orders.ts";
import {
  advance,
  checkVersion,
  type Locked,
  type StepOptions,
  type StepResult,
  withCase,
} from "./case-step.ts";
import { type Actor, actorName, type FlowContext } from "./context.ts";
import { type GrantInput, grantRefund } from "./grant-refund.ts";

/** One inspected group of units of a receipt line (质检明细). */
export interface InspectLineInput {
  receiptLineId: number;
  /** Default: every unit of the line not yet inspected. */
  quantity?: number;
  result: "pass" | "fail";
  /** Where failed units go: defective (default), scrap or return_to_vendor. A pass is sellable. */
  disposition?: Disposition;
  /** What QC found; default: what the receipt condition implies (empty box, missing parts…). */
  finding?: Finding;
  /** The inspector's deduction for these units, a decimal amount in the case's currency. */
  deduction?: string;
  note?: string;
}

export interface InspectLinesInput extends StepOptions {
  lines: InspectLineInput[];
  /** Makes the inspection idempotent: the same key again answers with the first and changes nothing. */
  key?: string;
}

export interface InspectResult extends StepResult {
  inspections: number[];
  replayed: boolean;
  /** The case's QC result once every received unit is inspected and the case moved on. */
  caseResult?: "pass" | "fail";
  recommendation?: RefundRecommendation;
}

const RESULTS = ["pass", "fail"];

/** The checks an inspection's lines pass before anything is read. */
function validateAsked(lines: InspectLineInput[]) {
  if (!Array.isArray(lines) || lines.length === 0)
    fail("NOTHING_TO_INSPECT", "Name the receipt lines that were inspected");
  for (const x of lines) {
    if (!RESULTS.includes(x.result)) fail("INVALID_QC_RESULT", 'QC result must be "pass" or "fail"');
    if (x.quantity !== undefined && (!Number.isSafeInteger(x.quantity) || x.quantity <= 0))
      fail("INVALID_QUANTITY", "Quantity must be a positive integer");
    validateFinding(x.finding);
  }
}

type ReceivedLine = Awaited<ReturnType<typeof caseReceiptLines>>[number];

/**
 * The inspections `asked` makes of the case's received lines, checked against what awaits inspection;
 * each row's line carries its inspected count after them.
 */
function planInspections(
  kase: { id: number; reason: string; currency: string },
  received: readonly ReceivedLine[],
  asked: InspectLineInput[],
  opts: { key: string | null; who: string; now: Date },
) {
  const byId = new Map(received.map((x) => [x.id, { ...x }]));
  const rows = asked.map((x, i) => {
    const line =
      byId.get(x.receiptLineId) ??
      fail("RECEIPT_LINE_NOT_FOUND", `Receipt line ${x.receiptLineId} is not part of case ${kase.id}`, {
        receiptLineId: x.receiptLineId,
      });
    const pending = line.quantity - line.inspected;
    const quantity = x.quantity ?? pending;
    if (quantity <= 0 || quantity > pending) {
      fail(
        "INSPECTION_EXCEEDS_RECEIPT",
        `Only ${pending} units of receipt line ${line.id} await inspection`,
        {
          receiptLineId: line.id,
          pending,
        },
      );
    }
    if (!line.stocked && x.result === "pass")
      fail("NOTHING_TO_PASS", `Receipt line ${line.id} holds no goods of ${line.sku} (${line.condition})`, {
        receiptLineId: line.id,
        condition: line.condition,
      });
    line.inspected += quantity;
    const disposition = dispositionFor(x.result, x.disposition);
    return {
      line,
      insert: {
        receipt_line_id: line.id,
        case_id: kase.id,
        key: opts.key ? `${opts.key}#${i}` : null,
        quantity,
        result: x.result,
        disposition,
        finding: x.finding ?? defaultFinding(line.condition as Condition, kase.reason),
        deduction: x.deduction !== undefined ? parseMinor(x.deduction, kase.currency) : null,
        note: x.note ?? null,
        inspected_by: opts.who,
        inspected_at: opts.now,
      },
    };
  });
  return { rows, byId };
}

/** 质检 per receipt line: units move out of quarantine; when the last unit is inspected the case moves on. */
export async function inspectLines(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: InspectLinesInput,
): Promise<InspectResult> {
  validateAsked(input.lines);
  const key = input.key?.trim() || null;
  return withCase(
    ctx,
    caseId,
    async (l) => {
      if (key) {
        const seen = await l.tx
          .selectFrom("inspections")
          .select(["id", "case_id"])
          .where("key", "like", `${key.replace(/[\\%_]/g, "\\$&")}#%`)
          .orderBy("id")
          .execute();
        if (seen.length > 0) {
          if (seen[0]?.case_id !== l.kase.id)
            fail("INSPECTION_KEY_REUSED", `Key ${key} already inspected goods of another case`, { key });
          return {
            status: l.kase.status as CaseState,
            version: l.kase.version,
            inspections: seen.map((s) => s.id),
            replayed: true,
          };
        }
      }
      return inspectLocked(ctx, l, actor, input.lines, { ...input, key });
    },
    input,
  );
}

/**
 * 质检 of the whole case: the result applies to every unit not yet inspected (failed units are kept as
 * defective). The case must have received everything.
 */
export async function inspectReturn(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: StepOptions & { result: "pass" | "fail"; disposition?: Disposition },
): Promise<InspectResult> {
  if (!RESULTS.includes(input.result)) fail("INVALID_QC_RESULT", 'QC result must be "pass" or "fail"');
  return withCase(
    ctx,
    caseId,
    async (l) => {
      transitionsFor(l.kase.type as CaseType, l.kase.status as CaseState, "inspect");
      const received = await caseReceiptLines(l.tx, l.kase.id);
      const pending = received.filter((x) => x.inspected < x.quantity);
      return inspectLocked(
        ctx,
        l,
        actor,
        pending.map((x) => ({
          receiptLineId: x.id,
          result: input.result,
          ...(input.disposition ? { disposition: input.disposition } : {}),
          ...(input.note ? { note: input.note } : {}),
        })),
        { ...input, key: null, whole: true, fallback: input.result },
        received,
      );
    },
    input,
  );
}

/** Inspections of receipt lines and the lines' new inspected counts, in one statement. */
const INSPECT = compiled(
  "inspect_lines",
  (
    _db,
    p: {
      caseId: number;
      by: string;
      at: Date;
      lineIds: number[];
      keys: (string | null)[];
      quantities: number[];
      results: string[];
      dispositions: string[];
      findings: (string | null)[];
      deductions: (number | null)[];
      notes: (string | null)[];
      updatedLines: number[];
      inspected: number[];
    },
  ) => sql<InspectedUnit & { id: number; new: boolean }>`
    with q as (
      insert into inspections (receipt_line_id, case_id, key, quantity, result, disposition, finding, deduction,
                               note, inspected_by, inspected_at)
      select x.line, ${p.caseId}, x.key, x.qty, x.result, x.disposition, x.finding, x.deduction, x.note, ${p.by}, ${p.at}
        from unnest(${p.lineIds}::bigint[], ${p.keys}::text[], ${p.quantities}::int[], ${p.results}::text[],
                    ${p.dispositions}::text[], ${p.findings}::text[], ${p.deductions}::bigint[], ${p.notes}::text[])
                with ordinality as x(line, key, qty, result, disposition, finding, deduction, note, n)
       order by x.n
      returning id, receipt_line_id, quantity, result, finding, deduction),
    u as (
      update receipt_lines rl set inspected = y.inspected
        from unnest(${p.updatedLines}::bigint[], ${p.inspected}::int[]) as y(id, inspected)
       where rl.id = y.id),
    units as (
      select q.id, q.receipt_line_id, q.quantity, q.result, q.finding, q.deduction, true as new from q
      union all
      select q.id, q.receipt_line_id, q.quantity, q.result, q.finding, q.deduction, false
        from inspections q where q.case_id = ${p.caseId})
    -- Every unit of the case inspected, these included (as recommendationFor reads them).
    select q.id, q.new, rl.sku, q.quantity, q.result, q.finding, q.deduction, ol.paid, ol.quantity as line_quantity
      from units q join receipt_lines rl on rl.id = q.receipt_line_id join order_lines ol on ol.id = rl.order_line_id
     order by q.id`,
);

async function inspectLocked(
  ctx: FlowContext,
  l: Locked,
  actor: Actor,
  asked: InspectLineInput[],
  opts: StepOptions & { key: string | null; whole?: boolean; fallback?: "pass" | "fail" },
  /** The case's receipt lines, when the caller has just read them under the lock. */
  read?: Awaited<ReturnType<typeof caseReceiptLines>>,
): Promise<InspectResult> {
  const { tx, kase } = l;
  await checkVersion(l, opts.expectedVersion);
  const received = read ?? (await caseReceiptLines(tx, kase.id));
  const now = ctx.now();
  const who = actorName(actor);
  const { rows, byId } = planInspections(kase, received, asked, { key: opts.key, who, now });
  if (rows.length === 0 && !opts.whole) fail("NOTHING_TO_INSPECT", "Nothing awaits inspection");
  // The inspections and the receipt lines' inspected counts, in one statement.
  const inspected = new Map(rows.map((r) => [r.line.id, r.line.inspected]));
  const units =
    rows.length === 0
      ? undefined
      : await INSPECT.rows(tx, {
          caseId: kase.id,
          by: who,
          at: now,
          lineIds: rows.map((r) => r.insert.receipt_line_id),
          keys: rows.map((r) => r.insert.key),
          quantities: rows.map((r) => r.insert.quantity),
          results: rows.map((r) => r.insert.result),
          dispositions: rows.map((r) => r.insert.disposition),
          findings: rows.map((r) => r.insert.finding),
          deductions: rows.map((r) => r.insert.deduction),
          notes: rows.map((r) => r.insert.note),
          updatedLines: [...inspected.keys()],
          inspected: [...inspected.values()],
        });
  const ids = (units ?? []).filter((u) => u.new).map((u) => u.id);
  await applyMovements(
    tx,
    rows.flatMap((r, i) =>
      r.line.stocked
        ? [
            {
              kind: "inspection" as const,
              key: String(ids[i]),
              warehouse: r.line.warehouse_id,
              sku: r.line.sku,
              delta: inspectionDelta(r.insert.disposition, r.insert.quantity),
              caseId: kase.id,
              actor: who,
              note: r.insert.note,
              at: now,
            },
          ]
        : [],
    ),
  );
  const done = [...byId.values()].every((x) => x.inspected >= x.quantity);
  const summary = rows.map((r) => ({
    receiptLineId: r.line.id,
    sku: r.line.sku,
    quantity: r.insert.quantity,
    result: r.insert.result,
    disposition: r.insert.disposition,
    finding: r.insert.finding,
  }));
  // The case moves when every unit it received is inspected and nothing more is expected.
  if (done && kase.status === "received") {
    const inspections = units ?? (await inspectionsOf(tx, kase.id));
    const failed = inspections.some((q) => q.result === "fail");
    // A case with no receipt lines to judge (nothing recorded per unit) takes the whole-case result.
    const caseResult = failed ? "fail" : byId.size === 0 && opts.fallback ? opts.fallback : "pass";
    const recommendation = recommend(inspections);
    const moved = await advance(
      ctx,
      l,
      actor,
      "inspect",
      { qcResult: caseResult },
      {
        ...opts,
        data: {
          result: caseResult,
          lines: summary,
          recommendation: recommendationJson(recommendation, kase.currency),
        },
        also: [summariseReceipts(kase.id, now, opts.note ?? null)],
        commit: true,
      },
    );
    return { ...moved, inspections: ids, replayed: false, caseResult, recommendation };
  }
  if (done) await summariseReceipts(kase.id, now, opts.note ?? null).execute(tx);
  if (opts.whole) {
    // The case's own QC step with nothing left to inspect per line: the machine still decides.
    transitionsFor(kase.type as CaseType, kase.status as CaseState, "inspect");
  }
  await tx
    .insertInto("case_events")
    .values({
      case_id: kase.id,
      at: now,
      actor: who,
      action: "inspect_units",
      from_status: kase.status,
      to_status: kase.status,
      note: opts.note ?? null,
      data: JSON.stringify({ lines: summary }),
    })
    .execute();
  return { status: kase.status as CaseState, version: kase.version, inspections: ids, replayed: false };
}

/** The legacy per-receipt QC columns, for receipts whose every line is now inspected. */
const summariseReceipts = (caseId: number, at: Date, note: string | null) =>
  sql`update receipts r
         set qc_result = case when exists (select 1 from inspections q join receipt_lines x on x.id = q.receipt_line_id
                                            where x.receipt_id = r.id and q.result = 'fail') then 'fail' else 'pass' end,
             qc_note = coalesce(${note}::text, r.qc_note), inspected_at = ${at}
       where r.case_id = ${caseId} and r.qc_result is null
         and not exists (select 1 from receipt_lines x where x.receipt_id = r.id and x.inspected < x.quantity)`;

/** Every unit of the case inspected so far, with what it paid. */
const INSPECTED = compiled("case_inspections", (db, p: { caseId: number }) =>
  db
    .selectFrom("inspections as q")
    .innerJoin("receipt_lines as rl", "rl.id", "q.receipt_line_id")
    .innerJoin("order_lines as ol", "ol.id", "rl.order_line_id")
    .select([
      "rl.sku",
      "q.quantity",
      "q.result",
      "q.finding",
      "q.deduction",
      "ol.paid",
      "ol.quantity as line_quantity",
    ])
    .where("q.case_id", "=", p.caseId)
    .orderBy("q.id"),
);
const inspectionsOf = (db: Tx, caseId: number) => INSPECTED.rows(db, { caseId });

/** What QC recommends for the case's refund, from every unit inspected so far. */
export async function recommendationFor(db: Tx, caseId: number): Promise<RefundRecommendation> {
  return recommend(await inspectionsOf(db, caseId));
}

/** One inspected group of units, with what its order line paid. */
type InspectedUnit = Awaited<ReturnType<typeof inspectionsOf>>[number];

function recommend(rows: InspectedUnit[]): RefundRecommendation {
  const units: InspectedUnits[] = rows.map((r) => ({
    sku: r.sku,
    quantity: r.quantity,
    finding: (r.finding ?? "none") as Finding,
    paid: paidShare(r.paid, r.line_quantity, r.quantity),
    deduction: r.deduction,
  }));
  return recommendRefund(units);
}

/** The recommendation with amounts as the refund grant takes them (decimal strings). */
export const recommendationJson = (r: RefundRecommendation, currency: string) => ({
  kind: r.kind,
  reasons: r.reasons,
  currency,
  deductions: r.deductions.map((d) => ({
    kind: d.kind,
    amount: formatMinor(d.amount, currency),
    note: d.note,
  })),
});

/**
 * 质检预估 (reads only): what inspecting `lines` would record — the finding each takes and the deduction it
 * proposes — and the refund QC would then advise, from these units and those inspected before. The same
 * checks as inspecting, so what the quote accepts the inspection takes.
 */
export async function quoteInspection(
  ctx: FlowContext,
  caseId: number,
  input: { lines: InspectLineInput[]; shops?: readonly string[] | null },
) {
  validateAsked(input.lines);
  const kase = await ctx.db
    .selectFrom("cases")
    .select(["id", "shop_id", "currency", "reason"])
    .where("id", "=", caseId)
    .executeTakeFirst();
  if (!kase || (input.shops && !input.shops.includes(kase.shop_id)))
    return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
  const received = await caseReceiptLines(ctx.db, caseId);
  const { rows } = planInspections(kase, received, input.lines, { key: null, who: "", now: ctx.now() });
  const paid = new Map(
    (
      await ctx.db
        .selectFrom("order_lines")
        .select(["id", "paid", "quantity"])
        .where("id", "in", [0, ...new Set(rows.map((r) => r.line.order_line_id))])
        .execute()
    ).map((l) => [l.id, l]),
  );
  const proposed = rows.map((r) => {
    const line = paid.get(r.line.order_line_id);
    return {
      sku: r.line.sku,
      quantity: r.insert.quantity,
      result: r.insert.result,
      finding: r.insert.finding,
      deduction: r.insert.deduction,
      paid: line?.paid ?? 0,
      line_quantity: line?.quantity ?? 1,
    };
  });
  const advice = recommend([...(await inspectionsOf(ctx.db, caseId)), ...proposed]);
  return {
    caseId,
    lines: rows.map((r, i) => {
      const u = proposed[i] as (typeof proposed)[number];
      return {
        receiptLineId: r.line.id,
        quantity: r.insert.quantity,
        result: r.insert.result,
        disposition: r.insert.disposition,
        finding: r.insert.finding,
        deduction: formatMinor(
          unitsDeduction({
            finding: u.finding,
            paid: paidShare(u.paid, u.line_quantity, u.quantity),
            deduction: u.deduction,
          }),
          kase.currency,
        ),
      };
    }),
    ...recommendationJson(advice, kase.currency),
  };
}

/** The recommendation a reviewer sees before granting, and whether the case still awaits its refund. */
export async function refundRecommendation(
  ctx: FlowContext,
  caseId: number,
  shops?: readonly string[] | null,
) {
  const kase = await ctx.db
    .selectFrom("cases")
    .select(["id", "shop_id", "currency", "status"])
    .where("id", "=", caseId)
    .executeTakeFirst();
  if (!kase || (shops && !shops.includes(kase.shop_id)))
    return fail("CASE_NOT_FOUND", `Case ${caseId} does not exist`, { caseId });
  const refunds = await ctx.db
    .selectFrom("refunds")
    .select("id")
    .where("case_id", "=", caseId)
    .where("status", "!=", "failed")
    .execute();
  const inspected = await ctx.db
    .selectFrom("inspections")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("case_id", "=", caseId)
    .executeTakeFirstOrThrow();
  return {
    caseId,
    status: kase.status,
    inspected: Number(inspected.n) > 0,
    refundGranted: refunds.length > 0,
    ...recommendationJson(await recommendationFor(ctx.db, caseId), kase.currency),
  };
}

/**
 * 按质检建议退款: grant the refund with QC's deductions. A case QC says to refuse is not granted this way
 * (REFUND_REFUSAL_RECOMMENDED): the reviewer rejects it, or grants an amount of their own.
 */
export async function grantRecommendedRefund(
  ctx: FlowContext,
  actor: Actor,
  caseId: number,
  input: StepOptions & Pick<GrantInput, "shippingPolicy"> = {},
) {
  const rec = await refundRecommendation(ctx, caseId, input.shops);
  if (rec.kind === "refuse")
    fail("REFUND_REFUSAL_RECOMMENDED", "Quality control recommends refusing this refund", {
      reasons: rec.reasons,
    });
  return grantRefund(ctx, actor, caseId, {
    ...input,
    ...(rec.deductions.length ? { deductions: rec.deductions } : {}),
    note: input.note ?? (rec.kind === "deduct" ? "按质检建议扣款 deduction recommended by QC" : undefined),
  });
}
