import type { QueryClient } from "@tanstack/react-query";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { keys } from "../../shared/keys.ts";

/**
 * Where a card may go: the lifecycle's transitions for its type and state (GET /lifecycle), narrowed to
 * the actions the server says this person could take on the case now (its availableActions, which the
 * server works out by trying each). A drop runs the same action as the case view's button.
 */
export type Lifecycle = paths["/api/v1/lifecycle"]["get"]["responses"][200]["content"]["application/json"];
type CaseJson = paths["/api/v1/cases/{id}"]["get"]["responses"][200]["content"]["application/json"];

/** What an action needs from the person before it runs; "case": done in the case view (receiving goods). */
export type Needs = "nothing" | "note" | "parcel" | "amount" | "case";
const NEEDS: Record<string, Needs> = {
  approve: "nothing",
  cancel: "nothing",
  close: "nothing",
  inspect: "nothing",
  reject: "note",
  "return-shipment": "parcel",
  "replacement-shipment": "parcel",
  "grant-refund": "amount",
};
export const needsOf = (slug: string): Needs => NEEDS[slug] ?? "case";

export interface Target {
  status: string;
  action: string;
}

/** The columns this case may move to now, each with the action that takes it there (first row wins). */
export function targetsOf(
  lifecycle: Lifecycle,
  kase: Pick<CaseJson, "type" | "status" | "availableActions">,
): Target[] {
  const out = new Map<string, Target>();
  for (const t of lifecycle.transitions) {
    if (t.type !== kase.type || t.from !== kase.status || out.has(t.to)) continue;
    if (kase.availableActions.includes(t.action)) out.set(t.to, { status: t.to, action: t.action });
  }
  return [...out.values()];
}

export const lifecycleQuery = {
  queryKey: keys.lifecycle(),
  queryFn: () => call(api.GET("/api/v1/lifecycle")),
  staleTime: Number.POSITIVE_INFINITY,
};

/** The case as the server sees it now, with what the person may do (live events keep it current). */
export const caseQuery = (id: number) => ({
  queryKey: keys.case(id),
  queryFn: () => call(api.GET("/api/v1/cases/{id}", { params: { path: { id } } })),
  staleTime: 5_000,
});

/** Where a case may go now: asks the server once per drag (cached briefly). */
export async function fetchTargets(client: QueryClient, id: number): Promise<Target[]> {
  const [lifecycle, kase] = await Promise.all([
    client.fetchQuery(lifecycleQuery),
    client.fetchQuery(caseQuery(id)),
  ]);
  return targetsOf(lifecycle, kase);
}

export interface MoveInput {
  note?: string;
  carrier?: string;
  trackingNo?: string;
  /** Decimal string, as typed and checked by parseMoneyInput. */
  amount?: string;
}

/**
 * Run the move's action with the version the person saw, so a case someone else changed meanwhile is
 * refused (VERSION_CONFLICT) rather than acted on blind. The board refreshes from the live event.
 */
export function runMove(id: number, version: number, target: Target, input: MoveInput = {}) {
  const path = { path: { id } };
  const base = { expectedVersion: version };
  const parcel = { ...base, carrier: input.carrier ?? "", trackingNo: input.trackingNo ?? "" };
  switch (target.action) {
    case "approve":
      return call(api.POST("/api/v1/cases/{id}/approve", { params: path, body: base }));
    case "cancel":
      return call(api.POST("/api/v1/cases/{id}/cancel", { params: path, body: base }));
    case "close":
      return call(api.POST("/api/v1/cases/{id}/close", { params: path, body: base }));
    case "reject":
      return call(
        api.POST("/api/v1/cases/{id}/reject", { params: path, body: { ...base, note: input.note ?? "" } }),
      );
    case "inspect":
      return call(
        api.POST("/api/v1/cases/{id}/inspect", {
          params: path,
          body: { ...base, result: target.status === "inspection_failed" ? "fail" : "pass" },
        }),
      );
    case "return-shipment":
      return call(api.POST("/api/v1/cases/{id}/return-shipment", { params: path, body: parcel }));
    case "replacement-shipment":
      return call(api.POST("/api/v1/cases/{id}/replacement-shipment", { params: path, body: parcel }));
    case "grant-refund":
      return call(
        api.POST("/api/v1/cases/{id}/grant-refund", {
          params: path,
          body: { ...base, ...(input.amount ? { amount: input.amount } : {}) },
        }),
      );
    default:
      return Promise.reject(new Error(`No board move runs ${target.action}`));
  }
}
