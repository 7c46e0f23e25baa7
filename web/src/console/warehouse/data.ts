import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
type Body<T> = T extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

export type Found = Json<paths["/api/v1/receiving/candidates"]["get"]>;
export type Candidate = Found["candidates"][number];
export type ScanKind = Found["matchedBy"];
export type ReceiptLines = Json<paths["/api/v1/cases/{id}/receipt-lines"]["get"]>;
export type Condition = ReceiptLines["lines"][number]["condition"];
export type QcQuote = Json<paths["/api/v1/cases/{id}/inspections/quote"]["post"]>;
export type Finding = QcQuote["lines"][number]["finding"];
export type Disposition = QcQuote["lines"][number]["disposition"];
export type InspectionLine = Body<paths["/api/v1/cases/{id}/inspections"]["post"]>["lines"][number];
export type Received = Json<paths["/api/v1/receiving/receive"]["post"]>;
export type Inspected = Json<paths["/api/v1/cases/{id}/inspections"]["post"]>;
export type BatchAnswer = Json<paths["/api/v1/receiving/batch"]["post"]>;
export type ParcelPage = Json<paths["/api/v1/unidentified-parcels"]["get"]>;

/** QC's choice for a unit: a pass is sellable; a fail names where the unit goes. */
export const GRADES = ["pass", "defective", "scrap", "return_to_vendor"] as const;
export type Grade = (typeof GRADES)[number];

/** A scan's id for the server (receiving and recording are idempotent by it): a second Enter changes nothing. */
export function scanKey(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `${prefix}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export const findCase = (code: string) =>
  call(api.GET("/api/v1/receiving/candidates", { params: { query: { code } } }));

export const receiptLines = (caseId: number) =>
  call(api.GET("/api/v1/cases/{id}/receipt-lines", { params: { path: { id: caseId } } }));

export const receive = (body: Body<paths["/api/v1/receiving/receive"]["post"]>) =>
  call(api.POST("/api/v1/receiving/receive", { body }));

export const inspect = (caseId: number, body: Body<paths["/api/v1/cases/{id}/inspections"]["post"]>) =>
  call(api.POST("/api/v1/cases/{id}/inspections", { params: { path: { id: caseId } }, body }));

export const quoteQc = (caseId: number, lines: InspectionLine[]) =>
  call(
    api.POST("/api/v1/cases/{id}/inspections/quote", { params: { path: { id: caseId } }, body: { lines } }),
  );

export const recordParcel = (body: Body<paths["/api/v1/unidentified-parcels"]["post"]>) =>
  call(api.POST("/api/v1/unidentified-parcels", { body }));

export const receiveBatch = (codes: string[], key: string) =>
  call(
    api.POST("/api/v1/receiving/batch", {
      body: { scans: codes.map((code, i) => ({ code, key: `${key}:${i}` })) },
    }),
  );

export const openParcels = (cursor?: number) =>
  call(
    api.GET("/api/v1/unidentified-parcels", {
      params: { query: { status: "open", limit: 20, ...(cursor ? { cursor } : {}) } },
    }),
  );

export const matchParcel = (id: number, caseId: number) =>
  call(api.POST("/api/v1/unidentified-parcels/{id}/match", { params: { path: { id } }, body: { caseId } }));
