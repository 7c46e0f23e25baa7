import type { Tx } from "./orders.ts";

/** The refund aggregate: the money leg of a case and its per-line shares. */

export const caseRefunds = (db: Tx, caseId: number) =>
  db.selectFrom("refunds").selectAll().where("case_id", "=", caseId).orderBy("id").execute();

const installations = new WeakMap<object, string>();

/** This database's installation id; it never changes, so it is read once per database handle. */
export async function installationId(db: Tx) {
  let inst = installations.get(db);
  if (!inst) {
    inst = (await db.selectFrom("installation").select("id").executeTakeFirstOrThrow()).id;
    installations.set(db, inst);
  }
  return inst;
}

/** The refund's idempotency key (out_refund_no): installation, case and attempt — ≤ 32 safe characters. */
export const refundKey = (installation: string, caseId: number, attempt: number) =>
  `AS${installation}C${caseId}R${attempt}`;

export const REFUND_STATUSES = ["requested", "processing", "succeeded", "failed"] as const;

export interface RefundFilter {
  status?: readonly string[];
  channel?: readonly string[];
  shop?: readonly string[];
  /**
   * Only refunds a person pays by hand (offline tenders) that are not paid yet: finance's transfers to
   * make. `offline` names those tenders (the payment registry knows them).
   */
  awaitingTransfer?: { offline: readonly string[] };
  /** Only failed legs nobody has sent again or switched yet. */
  needsAction?: boolean;
  /** The case id, the order's or the case's platform number, the refund key or the channel's refund id. */
  q?: string;
  /** Created on or after / before (instants). */
  from?: Date;
  to?: Date;
  offset: number;
  limit: number;
  /** null: every shop. */
  shops?: readonly string[] | null;
}

/**
 * 退款列表: refund legs, newest first, with their case, order and grant around them — one page and the
 * count of all that match. The case's status and version come along: whether a failed leg can be sent
 * again (its case waits in refund_failed, it is of the latest grant) is read from the same row.
 */
export async function listRefunds(db: Tx, f: RefundFilter) {
  // The count reads refunds and cases only; the page joins the order and customer for its rows.
  let q = db.selectFrom("refunds as r").innerJoin("cases as c", "c.id", "r.case_id");
  if (f.shops) q = q.where("c.shop_id", "in", f.shops.length ? [...f.shops] : [""]);
  if (f.shop?.length) q = q.where("c.shop_id", "in", [...f.shop]);
  if (f.status?.length) q = q.where("r.status", "in", [...f.status]);
  if (f.channel?.length) q = q.where("r.channel", "in", [...f.channel]);
  if (f.awaitingTransfer)
    q = q
      .where("r.channel", "in", f.awaitingTransfer.offline.length ? [...f.awaitingTransfer.offline] : [""])
      .where("r.status", "in", ["requested", "processing"]);
  if (f.needsAction) q = q.where("r.status", "=", "failed").where("r.replaced_by", "is", null);
  if (f.from) q = q.where("r.created_at", ">=", f.from);
  if (f.to) q = q.where("r.created_at", "<", f.to);
  const term = f.q?.trim();
  if (term) {
    const id = /^\d{1,15}$/.test(term) ? Number(term) : -1;
    q = q.where((eb) =>
      eb.or([
        eb("r.case_id", "=", id),
        eb("r.id", "=", id),
        eb(
          "r.order_id",
          "in",
          eb.selectFrom("orders").select("orders.id").where("orders.external_id", "=", term),
        ),
        eb("c.external_id", "=", term),
        eb("r.idempotency_key", "=", term),
        eb("r.channel_refund_id", "=", term),
      ]),
    );
  }
  const [rows, count] = await Promise.all([
    q
      .innerJoin("orders as o", "o.id", "r.order_id")
      .leftJoin("customers as cu", "cu.id", "c.customer_id")
      .select((eb) => [
        "r.id",
        "r.case_id",
        "r.order_id",
        "r.channel",
        "r.currency",
        "r.amount",
        "r.goods_amount",
        "r.shipping_amount",
        "r.idempotency_key",
        "r.status",
        "r.channel_refund_id",
        "r.attempts",
        "r.last_error",
        "r.grant_no",
        "r.replaced_by",
        "r.created_at",
        "r.updated_at",
        "r.succeeded_at",
        "c.shop_id",
        "c.status as case_status",
        "c.version as case_version",
        "c.reason",
        "c.external_id as case_external_id",
        "o.external_id as order_external_id",
        "cu.name as customer_name",
        eb
          .selectFrom("refunds as g")
          .select((g) => g.fn.countAll<number>().as("n"))
          .whereRef("g.case_id", "=", "r.case_id")
          .whereRef("g.grant_no", "=", "r.grant_no")
          .as("legs"),
        eb
          .selectFrom("refunds as g")
          .select((g) => g.fn.max("g.grant_no").as("n"))
          .whereRef("g.case_id", "=", "r.case_id")
          .as("latest_grant"),
      ])
      .orderBy("r.id", "desc")
      .offset(f.offset)
      .limit(f.limit)
      .execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { items: rows, total: Number(count.n) };
}
