import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  grantRecommendedRefund,
  inspectLines,
  inspectReturn,
  refundRecommendation,
} from "../../src/flows/inspect-return.ts";
import { receiveReturn } from "../../src/flows/receive-return.ts";
import { findCase } from "../../src/store/cases.ts";
import { caseReceiptLines } from "../../src/store/inventory.ts";
import { type TestEnv, testEnv } from "../support/db.ts";
import { codeOf, REVIEWER, snapshot, WAREHOUSE } from "../support/fixtures.ts";
import { expectLedgerBalanced, movementsOf, returnCase, stock } from "../support/warehouse.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv();
});
afterAll(() => env.close());

const events = (caseId: number) =>
  env.ctx.db.selectFrom("case_events").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

describe("quality control (质检) and disposition", () => {
  it("moves units out of quarantine by result: pass → sellable, fail → defective, scrap or RTV", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { reason: "quality" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 3, condition: "opened" });
    const [tee, cap] = await caseReceiptLines(ctx.db, c.id);
    expect(tee?.quality_hold).toBe(true);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 2, sellable: 0 });

    // One tee passes: the case waits for the rest.
    const partial = await inspectLines(ctx, WAREHOUSE, c.id, {
      lines: [{ receiptLineId: tee?.id ?? 0, quantity: 1, result: "pass" }],
    });
    expect(partial.status).toBe("received");
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 1, sellable: 1 });
    expect(
      await codeOf(
        inspectLines(ctx, WAREHOUSE, c.id, {
          lines: [{ receiptLineId: tee?.id ?? 0, quantity: 2, result: "pass" }],
        }),
      ),
    ).toBe("INSPECTION_EXCEEDS_RECEIPT");
    expect(
      await codeOf(
        inspectLines(ctx, WAREHOUSE, c.id, {
          lines: [{ receiptLineId: tee?.id ?? 0, result: "pass", disposition: "scrap" }],
        }),
      ),
    ).toBe("INVALID_DISPOSITION");

    const done = await inspectLines(ctx, WAREHOUSE, c.id, {
      note: "一件开线，帽子变形",
      lines: [
        { receiptLineId: tee?.id ?? 0, result: "fail" },
        { receiptLineId: cap?.id ?? 0, result: "fail", disposition: "return_to_vendor" },
      ],
    });
    expect(done).toMatchObject({ status: "inspection_failed", caseResult: "fail" });
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 0, sellable: 1, defective: 1 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ quarantine: 0, sellable: 0, returned_to_vendor: 1 });
    const timeline = await events(c.id);
    expect(timeline.map((e) => e.action)).toContain("inspect_units");
    expect(timeline.at(-1)).toMatchObject({ action: "inspect", to_status: "inspection_failed" });
    expect(timeline.at(-1)?.data).toMatchObject({ result: "fail", recommendation: { kind: "full" } });
    const receipt = await ctx.db
      .selectFrom("receipts")
      .selectAll()
      .where("case_id", "=", c.id)
      .executeTakeFirst();
    expect(receipt?.qc_result).toBe("fail");
    await expectLedgerBalanced(ctx);
  });

  it("the whole-case QC step still applies its result to every unit not yet inspected", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "intact" });
    expect(await codeOf(inspectReturn(ctx, WAREHOUSE, c.id, { result: "pass" }))).toBe("INVALID_TRANSITION");
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "intact" });
    expect((await inspectReturn(ctx, WAREHOUSE, c.id, { result: "pass" })).status).toBe("inspected");
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 0, sellable: 2 });
    expect(await codeOf(inspectReturn(ctx, WAREHOUSE, c.id, { result: "pass" }))).toBe("INVALID_TRANSITION");
    expect((await movementsOf(ctx, c.skus.tee)).map((m) => m.source_kind)).toEqual([
      "receipt",
      "receipt",
      "inspection",
      "inspection",
    ]);
  });

  it("an inspection retried with its key, or sent twice at once, moves stock once", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "cap" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "intact" });
    const [line] = await caseReceiptLines(ctx.db, c.id);
    const input = { key: `qc-${c.id}`, lines: [{ receiptLineId: line?.id ?? 0, result: "pass" as const }] };
    const both = await Promise.all([
      inspectLines(ctx, WAREHOUSE, c.id, input),
      inspectLines(ctx, WAREHOUSE, c.id, input),
    ]);
    expect(both.map((r) => r.replayed).sort()).toEqual([false, true]);
    expect(both[0].inspections).toEqual(both[1].inspections);
    const before = await snapshot(ctx);
    expect((await inspectLines(ctx, WAREHOUSE, c.id, input)).replayed).toBe(true);
    expect(await snapshot(ctx)).toEqual(before);
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ quarantine: 0, sellable: 1 });
    expect((await movementsOf(ctx, c.skus.cap)).filter((m) => m.source_kind === "inspection").length).toBe(1);
    expect((await findCase(ctx.db, c.id))?.status).toBe("inspected");
  });
});

describe("QC outcomes feed the refund", () => {
  it("an empty box recommends refusing: nothing enters stock and the recommended grant is refused", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee", reason: "quality" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 2, condition: "empty_box" });
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ quarantine: 0, sellable: 0 });
    const [line] = await caseReceiptLines(ctx.db, c.id);
    expect(
      await codeOf(
        inspectLines(ctx, WAREHOUSE, c.id, { lines: [{ receiptLineId: line?.id ?? 0, result: "pass" }] }),
      ),
    ).toBe("NOTHING_TO_PASS");
    const res = await inspectLines(ctx, WAREHOUSE, c.id, {
      lines: [{ receiptLineId: line?.id ?? 0, result: "fail", disposition: "scrap" }],
    });
    expect(res.status).toBe("inspection_failed");
    expect(res.recommendation).toEqual({
      kind: "refuse",
      reasons: [{ finding: "empty_box", sku: c.skus.tee, quantity: 2 }],
      deductions: [],
    });
    expect((await events(c.id)).at(-1)?.data).toMatchObject({ recommendation: { kind: "refuse" } });
    expect(await refundRecommendation(ctx, c.id)).toMatchObject({ kind: "refuse", refundGranted: false });
    const before = await snapshot(ctx);
    expect(await codeOf(grantRecommendedRefund(ctx, REVIEWER, c.id))).toBe("REFUND_REFUSAL_RECOMMENDED");
    expect(await snapshot(ctx)).toEqual(before);
    expect((await movementsOf(ctx, c.skus.tee)).length).toBe(0);
  });

  it("missing parts recommend a deduction that the reviewer's grant uses", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "cap", reason: "changed_mind" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 1, condition: "missing_parts" });
    const res = await inspectReturn(ctx, WAREHOUSE, c.id, { result: "fail", note: "缺少帽扣" });
    const expected = Math.floor((c.cap.paid * 3000 + 5000) / 10000); // 30 % of what the cap paid
    expect(res.recommendation).toMatchObject({
      kind: "deduct",
      reasons: [{ finding: "missing_parts", sku: c.skus.cap, quantity: 1 }],
      deductions: [{ kind: "other", amount: expected }],
    });
    const rec = await refundRecommendation(ctx, c.id);
    expect(rec.deductions[0]?.amount).toBe((expected / 100).toFixed(2));
    const granted = await grantRecommendedRefund(ctx, REVIEWER, c.id);
    expect(granted.quote.deductions.map((d) => d.amount)).toEqual([expected]);
    expect(granted.quote.total).toBe(granted.quote.cap - expected);
    expect(await refundRecommendation(ctx, c.id)).toMatchObject({ refundGranted: true });
  });

  it("damage by the buyer deducts half by default, or what the inspector says", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { reason: "size_fit" });
    await receiveReturn(ctx, WAREHOUSE, c.id, {
      lines: [
        { lineId: c.tee.id, quantity: 1, condition: "damaged" },
        { lineId: c.tee.id, quantity: 1, condition: "intact" },
        { lineId: c.cap.id, quantity: 1, condition: "opened" },
      ],
    });
    const [damaged, intact, cap] = await caseReceiptLines(ctx.db, c.id);
    const res = await inspectLines(ctx, WAREHOUSE, c.id, {
      lines: [
        { receiptLineId: damaged?.id ?? 0, result: "fail" },
        { receiptLineId: intact?.id ?? 0, result: "pass" },
        { receiptLineId: cap?.id ?? 0, result: "pass", finding: "buyer_damage", deduction: "5.00" },
      ],
    });
    const teeUnit = Math.floor(c.tee.paid / 2);
    expect(res.recommendation?.kind).toBe("deduct");
    expect(res.recommendation?.deductions.map((d) => d.amount)).toEqual([
      Math.floor((teeUnit * 5000 + 5000) / 10000),
      500,
    ]);
    expect(await stock(ctx, c.skus.tee)).toMatchObject({ sellable: 1, defective: 1, quarantine: 0 });
    expect(await stock(ctx, c.skus.cap)).toMatchObject({ sellable: 1 });
  });

  it("a clean return recommends the full refund", async () => {
    const { ctx } = env;
    const c = await returnCase(ctx, { items: "tee" });
    await receiveReturn(ctx, WAREHOUSE, c.id, { quantity: 2, condition: "intact" });
    expect((await inspectReturn(ctx, WAREHOUSE, c.id, { result: "pass" })).recommendation).toEqual({
      kind: "full",
      reasons: [],
      deductions: [],
    });
    const granted = await grantRecommendedRefund(ctx, REVIEWER, c.id);
    expect(granted.quote.deductions).toEqual([]);
  });
});
