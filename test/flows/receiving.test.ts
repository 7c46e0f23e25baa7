import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receiveReturn } from "../../src/flows/receive-return.ts";
import { findCandidates, receiveScanned, scanBatch, scanReceive } from "../../src/flows/receive-scan.ts";
import { listParcels, matchParcel } from "../../src/flows/unidentified-parcels.ts";
import { findCase } from "../../src/store/cases.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf, snapshot, WAREHOUSE } from "../support/fixtures.ts";
import {
  expectLedgerBalanced,
  freshSkus,
  movementsOf,
  returnCase,
  stock,
  trackingNo,
} from "../support/warehouse.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

const lineRows = (caseId: number) =>
  env.ctx.db
    .selectFrom("receipt_lines")
    .select(["order_line_id", "sku", "quantity", "condition", "stocked", "quality_hold"])
    .where("case_id", "=", caseId)
    .orderBy("id")
    .execute();

describe("receiving by scan", () => {
  it("a tracking number with one case receives everything it still expects, into quarantine", async () => {
    const { ctx } = env;
    const parcel = trackingNo();
    const c = await returnCase(ctx, { tracking: parcel });
    const res = await scanReceive(ctx, WAREHOUSE, { code: parcel, photos: ["https://img.example/p1.jpg"] });
    expect(res).toMatchObject({
      outcome: "received",
      caseId: c.id,
      matchedBy: "tracking",
      status: "received",
    });
    expect(await lineRows(c.id)).toEqual([
      expect.objectContaining({ order_line_id: c.tee.id, quantity: 2, condition: "intact", stocked: true }),
      expect.objectContaining({ order_line_id: c.cap.id, quantity: 1, condition: "intact", stocked: true }),
    ]);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ sellable: 0, quarantine: 2 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ sellable: 0, quarantine: 1 });
    const receipt = await ctx.db
      .selectFrom("receipts")
      .selectAll()
      .where("case_id", "=", c.id)
      .executeTakeFirst();
    expect(receipt).toMatchObject({
      quantity: 3,
      tracking_no: parcel,
      scanned: parcel,
      received_by: "user:warehouse-1",
    });
    expect(receipt?.photos).toEqual(["https://img.example/p1.jpg"]);
    // The same parcel scanned again is a replay, not a second receipt.
    const again = await scanReceive(ctx, WAREHOUSE, { code: parcel });
    expect(again).toMatchObject({
      outcome: "received",
      replayed: true,
      receiptId: (res as { receiptId: number }).receiptId,
    });
    expect((await movementsOf(ctx, c.skus.tee)).length).toBe(1);
  });

  it("a barcode matching several cases lists them, most likely first, and receives the one chosen", async () => {
    const { ctx } = env;
    const skus = freshSkus();
    const waiting = await returnCase(ctx, { skus, items: "cap" });
    const onItsWay = await returnCase(ctx, { skus, items: "cap", tracking: trackingNo() });
    const res = await scanReceive(ctx, WAREHOUSE, { code: skus.cap });
    expect(res.outcome).toBe("choose");
    if (res.outcome !== "choose") return;
    expect(res.matchedBy).toBe("sku");
    expect(res.candidates.map((c) => c.caseId)).toEqual([onItsWay.id, waiting.id]);
    expect(res.candidates[0]?.outstanding).toEqual([
      { lineId: onItsWay.cap.id, sku: skus.cap, title: "棒球帽", quantity: 1 },
    ]);
    // Nothing was received by listing.
    expect((await findCase(ctx.db, waiting.id))?.status).toBe("awaiting_return");
    const chosen = await receiveScanned(ctx, WAREHOUSE, waiting.id, { code: skus.cap, condition: "opened" });
    expect(chosen).toMatchObject({ outcome: "received", caseId: waiting.id, status: "received" });
    expect(await lineRows(waiting.id)).toEqual([
      expect.objectContaining({ sku: skus.cap, quantity: 1, condition: "opened" }),
    ]);
    // Now only one case expects the SKU: scanning it receives at once.
    expect(await scanReceive(ctx, WAREHOUSE, { code: skus.cap })).toMatchObject({
      outcome: "received",
      caseId: onItsWay.id,
    });
    expect((await findCandidates(ctx.db, skus.cap)).candidates).toEqual([]);
  });

  it("a barcode scan is one unit: the case is partially received until the last one", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee" });
    expect(await scanReceive(ctx, WAREHOUSE, { code: c.skus.tee })).toMatchObject({
      status: "partially_received",
    });
    expect(await scanReceive(ctx, WAREHOUSE, { code: c.skus.tee, condition: "damaged" })).toMatchObject({
      status: "received",
    });
    expect((await lineRows(c.id)).map((l) => `${l.quantity}:${l.condition}`)).toEqual([
      "1:intact",
      "1:damaged",
    ]);
  });

  it("a parcel nobody expects becomes an unidentified parcel (无头件), matched later and then received", async () => {
    const { ctx } = env;
    const parcel = trackingNo();
    const res = await scanReceive(ctx, WAREHOUSE, {
      code: parcel,
      kind: "tracking",
      carrier: "YTO",
      contents: "一件黑色T恤，无吊牌",
      photos: ["https://img.example/u1.jpg"],
    });
    expect(res.outcome).toBe("unidentified");
    if (res.outcome !== "unidentified") return;
    const open = await listParcels(ctx.db, { status: "open", limit: 50 });
    expect(open.items.find((p) => p.id === res.parcelId)).toMatchObject({
      tracking_no: parcel,
      carrier: "YTO",
      contents: "一件黑色T恤，无吊牌",
      received_by: "user:warehouse-1",
      status: "open",
    });
    // Scanning the same unknown parcel again finds the same record.
    expect(await scanReceive(ctx, WAREHOUSE, { code: parcel, kind: "tracking" })).toEqual({
      outcome: "unidentified",
      parcelId: res.parcelId,
      replayed: true,
    });
    const c = await returnCase(ctx, { items: "tee" });
    const matched = await matchParcel(ctx, WAREHOUSE, res.parcelId, { caseId: c.id, condition: "opened" });
    expect(matched).toMatchObject({ status: "received", parcelId: res.parcelId, replayed: false });
    expect(await lineRows(c.id)).toEqual([expect.objectContaining({ quantity: 2, condition: "opened" })]);
    const receipt = await ctx.db
      .selectFrom("receipts")
      .selectAll()
      .where("case_id", "=", c.id)
      .executeTakeFirstOrThrow();
    expect(receipt.photos).toEqual(["https://img.example/u1.jpg"]);
    expect(receipt.tracking_no).toBe(parcel);
    const row = (await listParcels(ctx.db, { status: "matched", limit: 200 })).items.find(
      (p) => p.id === res.parcelId,
    );
    expect(row).toMatchObject({ case_id: c.id, receipt_id: receipt.id, matched_by: "user:warehouse-1" });
    // Matching again to the same case is a replay; to another case is refused.
    expect(await matchParcel(ctx, WAREHOUSE, res.parcelId, { caseId: c.id })).toMatchObject({
      replayed: true,
    });
    const other = await returnCase(ctx);
    expect(await codeOf(matchParcel(ctx, WAREHOUSE, res.parcelId, { caseId: other.id }))).toBe(
      "PARCEL_ALREADY_MATCHED",
    );
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 2, sellable: 0 });
  });

  it("a known parcel already received is said so, not filed as unidentified", async () => {
    const { ctx } = env;
    const parcel = trackingNo();
    await returnCase(ctx, { tracking: parcel });
    await scanReceive(ctx, WAREHOUSE, { code: parcel });
    expect(await codeOf(scanReceive(ctx, WAREHOUSE, { code: parcel, key: "another-scan" }))).toBe(
      "PARCEL_ALREADY_RECEIVED",
    );
  });
});

describe("batch and partial receipts", () => {
  it("answers every line of a batch; a bad line stops nothing and changes nothing", async () => {
    const { ctx } = env;
    const a = await returnCase(ctx, { tracking: trackingNo() });
    const b = await returnCase(ctx, { items: "tee" });
    const results = await scanBatch(ctx, WAREHOUSE, [
      {
        code: (
          await ctx.db
            .selectFrom("shipments")
            .select("tracking_no")
            .where("case_id", "=", a.id)
            .executeTakeFirstOrThrow()
        ).tracking_no,
      },
      { code: b.skus.tee, quantity: 5 }, // the case expects 2
      { code: "", kind: "sku" },
      { code: b.skus.tee, quantity: 2, condition: "missing_parts" },
      { code: "x", caseId: 999_999_999 },
    ]);
    expect(results.map((r) => (r.ok ? r.result?.outcome : r.error?.code))).toEqual([
      "received",
      "RECEIPT_EXCEEDS_CASE",
      "SCAN_REQUIRED",
      "received",
      "CASE_NOT_FOUND",
    ]);
    expect((await findCase(ctx.db, a.id))?.status).toBe("received");
    expect(await lineRows(b.id)).toEqual([
      expect.objectContaining({ quantity: 2, condition: "missing_parts", stocked: true }),
    ]);
    await expectLedgerBalanced(ctx);
  });

  it("receives per item and quantity, with a condition per unit; empty boxes hold no stock", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { reason: "quality" });
    const first = await receiveReturn(ctx, WAREHOUSE, c.id, {
      lines: [
        { lineId: c.tee.id, quantity: 1, condition: "intact" },
        { lineId: c.tee.id, quantity: 1, condition: "empty_box", photos: ["https://img.example/empty.jpg"] },
      ],
    });
    expect(first.status).toBe("partially_received");
    expect(
      await codeOf(receiveReturn(ctx, WAREHOUSE, c.id, { lines: [{ lineId: c.tee.id, quantity: 1 }] })),
    ).toBe("RECEIPT_EXCEEDS_CASE");
    expect(await codeOf(receiveReturn(ctx, WAREHOUSE, c.id, { lines: [{ lineId: 1, quantity: 1 }] }))).toBe(
      "LINE_NOT_IN_CASE",
    );
    expect(
      await codeOf(
        receiveReturn(ctx, WAREHOUSE, c.id, {
          lines: [{ lineId: c.cap.id, quantity: 1 }],
          warehouse: "nowhere",
        }),
      ),
    ).toBe("WAREHOUSE_NOT_FOUND");
    const second = await receiveReturn(ctx, WAREHOUSE, c.id, {
      lines: [{ lineId: c.cap.id, quantity: 1, condition: "damaged" }],
    });
    expect(second.status).toBe("received");
    expect(await lineRows(c.id)).toEqual([
      expect.objectContaining({
        sku: c.skus.tee,
        quantity: 1,
        condition: "intact",
        stocked: true,
        quality_hold: true,
      }),
      expect.objectContaining({ sku: c.skus.tee, quantity: 1, condition: "empty_box", stocked: false }),
      expect.objectContaining({ sku: c.skus.cap, quantity: 1, condition: "damaged", stocked: true }),
    ]);
    // Only what physically arrived is in stock, and none of it is sellable before QC.
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 1, sellable: 0 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ quarantine: 1, sellable: 0 });
    const receipts = await ctx.db
      .selectFrom("receipts")
      .selectAll()
      .where("case_id", "=", c.id)
      .orderBy("id")
      .execute();
    expect(receipts.map((r) => `${r.quantity}:${r.condition}`)).toEqual(["2:empty_box", "1:damaged"]);
  });

  it("refuses bad input before anything changes", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx);
    const before = await snapshot(ctx);
    expect(await codeOf(receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 0, condition: "intact" }))).toBe(
      "INVALID_QUANTITY",
    );
    expect(
      await codeOf(receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "soggy" as never })),
    ).toBe("INVALID_CONDITION");
    expect(
      await codeOf(receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "intact", photos: [""] })),
    ).toBe("INVALID_PHOTOS");
    expect(await snapshot(ctx)).toEqual(before);
  });
});

describe("exactly once", () => {
  it("a retried receipt (same key) is answered with the first, and moves stock once", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee" });
    const first = await receiveReturn(ctx, WAREHOUSE, c.id, {
      quantity: 1,
      condition: "intact",
      key: "scan-1",
    });
    const retry = await receiveReturn(ctx, WAREHOUSE, c.id, {
      quantity: 1,
      condition: "intact",
      key: "scan-1",
    });
    expect(retry).toMatchObject({ receiptId: first.receiptId, replayed: true, status: "partially_received" });
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 1 });
    expect((await movementsOf(ctx, c.skus.tee)).length).toBe(1);
    const other = await returnCase(ctx, { items: "tee" });
    expect(
      await codeOf(
        receiveReturn(ctx, WAREHOUSE, other.id, { quantity: 1, condition: "intact", key: "scan-1" }),
      ),
    ).toBe("RECEIPT_KEY_REUSED");
  });

  it("two identical requests at the same moment make one receipt and one movement", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee" });
    const input = { quantity: 1, condition: "intact" as const, key: `concurrent-${c.id}` };
    const both = await Promise.all([
      receiveReturn(ctx, WAREHOUSE, c.id, input),
      receiveReturn(ctx, WAREHOUSE, c.id, input),
    ]);
    expect(both.map((r) => r.replayed).sort()).toEqual([false, true]);
    expect(both[0].receiptId).toBe(both[1].receiptId);
    expect((await movementsOf(ctx, c.skus.tee)).length).toBe(1);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 1 });
    const scans = await Promise.all(
      [1, 2, 3].map(() => scanReceive(ctx, WAREHOUSE, { code: c.skus.tee, key: `scan-${c.id}` })),
    );
    expect(scans.filter((s) => s.outcome === "received" && !s.replayed).length).toBe(1);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 2 });
    expect((await findCase(ctx.db, c.id))?.status).toBe("received");
    await expectLedgerBalanced(ctx);
  });
});
