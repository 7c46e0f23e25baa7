import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { FINDING_CODES } from "../../domain/inspection.ts";
import { CONDITIONS, DISPOSITIONS } from "../../domain/inventory.ts";
import type { Actor, FlowContext } from "../../flows/context.ts";
import {
  grantRecommendedRefund,
  type InspectLinesInput,
  inspectLines,
  quoteInspection,
  recommendationJson,
  refundRecommendation,
} from "../../flows/inspect-return.ts";
import { sendNow } from "../../flows/issue-refund.ts";
import {
  findCandidates,
  receiveScanned,
  SCAN_KINDS,
  type ScanInput,
  type ScanKind,
  scanBatch,
  scanReceive,
} from "../../flows/receive-scan.ts";
import { listParcels, type MatchInput, matchParcel, recordParcel } from "../../flows/unidentified-parcels.ts";
import { findCase } from "../../store/cases.ts";
import { caseInspections, caseReceiptLines } from "../../store/inventory.ts";
import { canSeeShop, type Principal, principal } from "../auth.ts";
import { langOf } from "../problems.ts";
import { money } from "../serialize.ts";
import type { App } from "../server.ts";
import { inCallersWords } from "./cases.ts";
import { Amount, Enum } from "./schemas.ts";

const Photos = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
  description: "References (URLs) of photos; the files live elsewhere",
  maxItems: 50,
});
const Lines = Type.Array(
  Type.Object({
    lineId: Type.Integer(),
    quantity: Type.Integer({ minimum: 1 }),
    condition: Type.Optional(Enum(CONDITIONS)),
    photos: Type.Optional(Photos),
  }),
  { minItems: 1 },
);
const Scan = {
  code: Type.String({
    minLength: 1,
    description:
      'The scanned tracking number, return code (the platform\'s after-sales number, or "#<case id>") or barcode (SKU)',
  }),
  kind: Type.Optional(Enum(SCAN_KINDS)),
  carrier: Type.Optional(Type.String()),
  warehouse: Type.Optional(Type.String()),
  key: Type.Optional(Type.String({ description: "The scan's id: sending it again changes nothing" })),
  condition: Type.Optional(Enum(CONDITIONS)),
  quantity: Type.Optional(Type.Integer({ minimum: 1 })),
  lines: Type.Optional(Lines),
  photos: Type.Optional(Photos),
  note: Type.Optional(Type.String()),
  contents: Type.Optional(Type.String({ description: "What is inside, kept if the parcel is unidentified" })),
};

/** Inspected units per receipt line (质检明细). */
const InspectionLines = Type.Array(
  Type.Object({
    receiptLineId: Type.Integer(),
    quantity: Type.Optional(Type.Integer({ minimum: 1 })),
    result: Enum(["pass", "fail"]),
    disposition: Type.Optional(Enum(DISPOSITIONS)),
    finding: Type.Optional(Enum(FINDING_CODES)),
    deduction: Type.Optional(Amount),
    note: Type.Optional(Type.String()),
  }),
  { minItems: 1 },
);

const actorOf = (p: Principal): Actor => ({ kind: "user", id: p.name });

/** 收货 and 质检: scanning returns in, unidentified parcels, per-line inspection and QC's refund advice. */
export async function receivingRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  const visibleCase = async (p: Principal, id: number) => {
    const kase = await findCase(ctx.db, id);
    if (!kase || !canSeeShop(p, kase.shop_id))
      throw new AppError("CASE_NOT_FOUND", `Case ${id} does not exist`, { caseId: id });
    return kase;
  };

  app.get(
    "/receiving/candidates",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "The cases a scanned code may belong to, most likely first (reads only)",
        querystring: Type.Object({
          code: Type.String({ minLength: 1 }),
          kind: Type.Optional(Enum(SCAN_KINDS)),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      return findCandidates(ctx.db, req.query.code, {
        ...(req.query.kind ? { kind: req.query.kind as ScanKind } : {}),
        shops: p.shops,
      });
    },
  );

  app.post(
    "/receiving/scan",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "Scan a parcel or a unit: one matching case is received, several are listed, none is 无头件",
        body: Type.Object(Scan),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const res = await scanReceive(ctx, actorOf(p), { ...(req.body as ScanInput), shops: p.shops });
      const created = (res.outcome === "received" || res.outcome === "unidentified") && !res.replayed;
      return reply.status(created ? 201 : 200).send(res);
    },
  );

  app.post(
    "/receiving/receive",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "Receive into the case the person chose (after a scan with several candidates)",
        body: Type.Object({ ...Scan, code: Type.Optional(Type.String()), caseId: Type.Integer() }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const { caseId, ...scan } = req.body;
      const res = await receiveScanned(ctx, actorOf(p), caseId, {
        ...(scan as ScanInput),
        code: scan.code ?? "",
        shops: p.shops,
      });
      return reply.status(res.outcome === "received" && !res.replayed ? 201 : 200).send(res);
    },
  );

  app.post(
    "/receiving/batch",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "Several scans at once; every line is answered on its own and one bad line stops nothing",
        body: Type.Object({
          scans: Type.Array(Type.Object({ ...Scan, caseId: Type.Optional(Type.Integer()) }), {
            minItems: 1,
            maxItems: 500,
          }),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const results = await scanBatch(
        ctx,
        actorOf(p),
        req.body.scans.map((s) => ({ ...(s as ScanInput & { caseId?: number }), shops: p.shops })),
      );
      return { ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results };
    },
  );

  app.post(
    "/unidentified-parcels",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "Record a parcel that matches no case (无头件)",
        body: Type.Object({
          scanned: Type.String({ minLength: 1 }),
          trackingNo: Type.Optional(Type.String()),
          carrier: Type.Optional(Type.String()),
          warehouse: Type.Optional(Type.String()),
          contents: Type.Optional(Type.String()),
          photos: Type.Optional(Photos),
          note: Type.Optional(Type.String()),
          key: Type.Optional(Type.String()),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const res = await recordParcel(ctx, actorOf(p), req.body);
      return reply.status(res.replayed ? 200 : 201).send(res);
    },
  );

  app.get(
    "/unidentified-parcels",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["receiving"],
        querystring: Type.Object({
          status: Type.Optional(Enum(["open", "matched"])),
          cursor: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (req) => {
      const { items, nextCursor } = await listParcels(ctx.db, {
        ...req.query,
        limit: req.query.limit ?? 50,
        shops: principal(req).shops,
      });
      return {
        items: items.map((x) => ({
          id: x.id,
          status: x.status,
          scanned: x.scanned,
          trackingNo: x.tracking_no,
          carrier: x.carrier,
          warehouse: x.warehouse_id,
          contents: x.contents,
          photos: x.photos,
          note: x.note,
          receivedBy: x.received_by,
          receivedAt: x.received_at,
          caseId: x.case_id,
          receiptId: x.receipt_id,
          matchedBy: x.matched_by,
          matchedAt: x.matched_at,
        })),
        nextCursor: nextCursor ?? null,
      };
    },
  );

  app.post(
    "/unidentified-parcels/:id/match",
    {
      config: { permission: "case.receive" },
      schema: {
        tags: ["receiving"],
        summary: "Match an unidentified parcel to its case, which receives it",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({
          caseId: Type.Integer(),
          lines: Type.Optional(Lines),
          quantity: Type.Optional(Type.Integer({ minimum: 1 })),
          condition: Type.Optional(Enum(CONDITIONS)),
          photos: Type.Optional(Photos),
          note: Type.Optional(Type.String()),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      return matchParcel(ctx, actorOf(p), req.params.id, { ...(req.body as MatchInput), shops: p.shops });
    },
  );

  app.get(
    "/cases/:id/receipt-lines",
    {
      config: { permission: "cases.read" },
      schema: {
        tags: ["receiving"],
        summary: "What arrived for the case, per item and condition, and what QC found",
        params: Type.Object({ id: Type.Integer() }),
      },
    },
    async (req) => {
      const p = principal(req);
      const kase = await visibleCase(p, req.params.id);
      const [lines, inspections] = [
        await caseReceiptLines(ctx.db, req.params.id),
        await caseInspections(ctx.db, req.params.id),
      ];
      // The items' names, for the person at the scan station.
      const titles = new Map(
        (
          await ctx.db
            .selectFrom("order_lines")
            .select(["id", "title"])
            .where("id", "in", [0, ...new Set(lines.map((x) => x.order_line_id))])
            .execute()
        ).map((l) => [l.id, l.title]),
      );
      return {
        lines: lines.map((x) => ({
          id: x.id,
          receiptId: x.receipt_id,
          lineId: x.order_line_id,
          sku: x.sku,
          title: titles.get(x.order_line_id) ?? null,
          quantity: x.quantity,
          condition: x.condition,
          photos: x.photos,
          stocked: x.stocked,
          qualityHold: x.quality_hold,
          inspected: x.inspected,
          warehouse: x.warehouse_id,
          receivedAt: x.received_at,
        })),
        currency: kase.currency,
        inspections: inspections.map((q) => ({
          id: q.id,
          receiptLineId: q.receipt_line_id,
          quantity: q.quantity,
          result: q.result,
          disposition: q.disposition,
          finding: q.finding,
          deduction: money(q.deduction, kase.currency),
          note: q.note,
          inspectedBy: q.inspected_by,
          inspectedAt: q.inspected_at,
        })),
      };
    },
  );

  app.post(
    "/cases/:id/inspections/quote",
    {
      config: { permission: "case.inspect" },
      schema: {
        tags: ["receiving"],
        summary:
          "What inspecting these lines would record (finding, proposed deduction) and the refund QC would then advise (reads only)",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({ lines: InspectionLines }),
      },
    },
    async (req) => {
      const p = principal(req);
      return quoteInspection(ctx, req.params.id, {
        lines: req.body.lines as InspectLinesInput["lines"],
        shops: p.shops,
      });
    },
  );

  app.post(
    "/cases/:id/inspections",
    {
      config: { permission: "case.inspect" },
      schema: {
        tags: ["receiving"],
        summary:
          "Inspect received units per receipt line (质检): pass → sellable; fail → defective, scrap or RTV",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Object({
          expectedVersion: Type.Optional(Type.Integer()),
          note: Type.Optional(Type.String()),
          key: Type.Optional(Type.String()),
          lines: InspectionLines,
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const res = await inspectLines(ctx, actorOf(p), req.params.id, {
        ...(req.body as InspectLinesInput),
        shops: p.shops,
      });
      if (!res.recommendation) return { id: req.params.id, ...res };
      const kase = await findCase(ctx.db, req.params.id);
      return {
        id: req.params.id,
        ...res,
        recommendation: recommendationJson(res.recommendation, kase?.currency ?? "CNY"),
      };
    },
  );

  app.get(
    "/cases/:id/refund-recommendation",
    {
      config: { permission: "case.grant_refund" },
      schema: {
        tags: ["receiving"],
        summary: "QC's advice for the refund: refuse, deduct (with deductions the grant takes) or full",
        params: Type.Object({ id: Type.Integer() }),
      },
    },
    async (req) => {
      const p = principal(req);
      return refundRecommendation(ctx, req.params.id, p.shops);
    },
  );

  app.post(
    "/cases/:id/grant-recommended-refund",
    {
      config: { permission: "case.grant_refund" },
      schema: {
        tags: ["receiving"],
        summary: "Grant the refund with QC's deductions and send it (同意退款，按质检扣款)",
        params: Type.Object({ id: Type.Integer() }),
        body: Type.Optional(
          Type.Object({ expectedVersion: Type.Optional(Type.Integer()), note: Type.Optional(Type.String()) }),
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const granted = await grantRecommendedRefund(ctx, actorOf(p), req.params.id, {
        ...(req.body ?? {}),
        shops: p.shops,
      });
      // Sent at once like any grant, answered as granted whatever sending says; the outbox sends it later.
      const sent = inCallersWords(await sendNow(ctx, granted, granted.refunds), langOf(req));
      return {
        id: req.params.id,
        status: sent.status,
        version: sent.version,
        currency: granted.quote.currency,
        deductions: granted.quote.deductions.map((d) => ({
          ...d,
          amount: money(d.amount, granted.quote.currency),
        })),
        refunds: sent.refunds ?? [sent.refund],
      };
    },
  );
}
