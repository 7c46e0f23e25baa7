import { Type } from "@fastify/type-provider-typebox";
import { AppError } from "../../domain/errors.ts";
import { SOURCE_KINDS } from "../../domain/inventory.ts";
import type { FlowContext } from "../../flows/context.ts";
import { adjustStock, createWarehouse, setSkuBackorder, updateWarehouse } from "../../flows/inventory.ts";
import { listBalances, listMovements, listWarehouses } from "../../store/inventory.ts";
import { principal } from "../auth.ts";
import type { App } from "../server.ts";
import { Enum } from "./schemas.ts";

const warehouseJson = (w: Awaited<ReturnType<typeof listWarehouses>>[number]) => ({
  id: w.id,
  name: w.name,
  allowBackorder: w.allow_backorder,
  isDefault: w.is_default,
  createdAt: w.created_at,
});

/** Cursor of the stock list: "warehouse/sku" of the last row, URL-safe. */
const encodeCursor = (c: { warehouse: string; sku: string }) =>
  Buffer.from(JSON.stringify([c.warehouse, c.sku])).toString("base64url");
function decodeCursor(s: string) {
  try {
    const [warehouse, sku] = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    if (typeof warehouse === "string" && typeof sku === "string") return { warehouse, sku };
  } catch {}
  throw new AppError("INVALID_CURSOR", "The cursor is not one this API gave out");
}

/** 库存: stock per SKU and warehouse, its ledger, warehouses and backorder settings. */
export async function inventoryRoutes(app: App, { ctx }: { ctx: FlowContext }) {
  app.get(
    "/inventory",
    {
      config: { permission: "inventory.read" },
      schema: {
        tags: ["inventory"],
        summary: "Stock per SKU and warehouse: sellable, quarantine, defective; scrapped and RTV counted out",
        querystring: Type.Object({
          sku: Type.Optional(Type.String()),
          warehouse: Type.Optional(Type.String()),
          cursor: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
      },
    },
    async (req) => {
      const { cursor, ...q } = req.query;
      const { items, next } = await listBalances(ctx.db, {
        shops: principal(req).shops,
        ...q,
        ...(cursor ? { after: decodeCursor(cursor) } : {}),
        limit: q.limit ?? 100,
      });
      return {
        items: items.map((b) => ({
          warehouse: b.warehouse_id,
          sku: b.sku,
          sellable: b.sellable,
          quarantine: b.quarantine,
          defective: b.defective,
          scrapped: b.scrapped,
          returnedToVendor: b.returned_to_vendor,
          allowBackorder: b.allow_backorder ?? b.warehouse_allows_backorder,
          backorderSetFor: b.allow_backorder === null ? "warehouse" : "sku",
          updatedAt: b.updated_at,
        })),
        nextCursor: next ? encodeCursor(next) : null,
      };
    },
  );

  app.get(
    "/inventory/movements",
    {
      config: { permission: "inventory.read" },
      schema: {
        tags: ["inventory"],
        summary: "The inventory ledger, newest first: every movement with its source",
        querystring: Type.Object({
          sku: Type.Optional(Type.String()),
          warehouse: Type.Optional(Type.String()),
          sourceKind: Type.Optional(Enum(SOURCE_KINDS)),
          sourceKey: Type.Optional(Type.String()),
          caseId: Type.Optional(Type.Integer()),
          from: Type.Optional(Type.String({ format: "date-time" })),
          to: Type.Optional(Type.String({ format: "date-time" })),
          cursor: Type.Optional(Type.Integer()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
      },
    },
    async (req) => {
      const { from, to, ...q } = req.query;
      const { items, nextCursor } = await listMovements(ctx.db, {
        shops: principal(req).shops,
        ...q,
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
        limit: q.limit ?? 100,
      });
      return {
        items: items.map((m) => ({
          id: m.id,
          source: { kind: m.source_kind, key: m.source_key },
          warehouse: m.warehouse_id,
          sku: m.sku,
          change: {
            sellable: m.sellable,
            quarantine: m.quarantine,
            defective: m.defective,
            scrapped: m.scrapped,
            returnedToVendor: m.returned_to_vendor,
          },
          caseId: m.case_id,
          actor: m.actor,
          note: m.note,
          at: m.at,
        })),
        nextCursor: nextCursor ?? null,
      };
    },
  );

  app.post(
    "/inventory/adjustments",
    {
      config: { permission: "inventory.write", allShops: true },
      schema: {
        tags: ["inventory"],
        summary: "Count stock in or out (opening stock, a stock count); keyed by the document, applied once",
        body: Type.Object({
          sku: Type.String({ minLength: 1 }),
          warehouse: Type.Optional(Type.String()),
          key: Type.String({ minLength: 1 }),
          change: Type.Object({
            sellable: Type.Optional(Type.Integer()),
            quarantine: Type.Optional(Type.Integer()),
            defective: Type.Optional(Type.Integer()),
          }),
          note: Type.Optional(Type.String()),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const { change, ...rest } = req.body;
      const res = await adjustStock(ctx, { kind: "user", id: p.name }, { ...rest, delta: change });
      return reply.status(res.applied ? 201 : 200).send(res);
    },
  );

  app.put(
    "/inventory/backorder",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["inventory"],
        summary: "Allow or refuse backorder for one SKU in a warehouse (null: as the warehouse says)",
        body: Type.Object({
          sku: Type.String({ minLength: 1 }),
          warehouse: Type.Optional(Type.String()),
          allowBackorder: Type.Union([Type.Boolean(), Type.Null()]),
        }),
      },
    },
    async (req) => {
      return setSkuBackorder(ctx, req.body);
    },
  );

  app.get(
    "/warehouses",
    { config: { permission: "inventory.read" }, schema: { tags: ["inventory"] } },
    async (_req) => {
      return { items: (await listWarehouses(ctx.db)).map(warehouseJson) };
    },
  );

  app.post(
    "/warehouses",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["inventory"],
        body: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 40 }),
          name: Type.String({ minLength: 1 }),
          allowBackorder: Type.Optional(Type.Boolean()),
        }),
      },
    },
    async (req, reply) => {
      return reply.status(201).send(warehouseJson(await createWarehouse(ctx, req.body)));
    },
  );

  app.patch(
    "/warehouses/:id",
    {
      config: { permission: "settings.write", allShops: true },
      schema: {
        tags: ["inventory"],
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1 })),
          allowBackorder: Type.Optional(Type.Boolean()),
          isDefault: Type.Optional(Type.Literal(true)),
        }),
      },
    },
    async (req) => {
      return warehouseJson(await updateWarehouse(ctx, req.params.id, req.body));
    },
  );
}
