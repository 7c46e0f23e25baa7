import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ApiError, api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import i18n from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import type { Scope, TrendBy } from "./params.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
export type Reasons = Json<paths["/api/v1/analytics/reasons"]["get"]>;
export type Automation = Json<paths["/api/v1/analytics/automation"]["get"]>;
export type StageTimes = Json<paths["/api/v1/analytics/stage-times"]["get"]>;
export type RefundTrend = Json<paths["/api/v1/analytics/refund-trend"]["get"]>;
export type Costs = Json<paths["/api/v1/analytics/costs"]["get"]>;

/** One chart's answer for the filters; the chart on screen stays while the next filters' answer loads. */
const useReport = <T>(name: string, query: object, fetch: () => Promise<unknown>, enabled = true) =>
  useQuery({
    queryKey: keys.analytics(name, query),
    queryFn: fetch as () => Promise<T>,
    placeholderData: keepPreviousData,
    enabled,
  });

export const useReasons = (query: Scope) =>
  useReport<Reasons>("reasons", query, () =>
    call(api.GET("/api/v1/analytics/reasons", { params: { query } })),
  );
export const useAutomation = (query: Scope) =>
  useReport<Automation>("automation", query, () =>
    call(api.GET("/api/v1/analytics/automation", { params: { query } })),
  );
export const useStageTimes = (query: Scope) =>
  useReport<StageTimes>("stage-times", query, () =>
    call(api.GET("/api/v1/analytics/stage-times", { params: { query } })),
  );
export const useRefundTrend = (scope: Scope, by: TrendBy) => {
  const query = { ...scope, by };
  return useReport<RefundTrend>("refund-trend", query, () =>
    call(api.GET("/api/v1/analytics/refund-trend", { params: { query } })),
  );
};
export const useCosts = (query: Scope, enabled: boolean) =>
  useReport<Costs>(
    "costs",
    query,
    () => call(api.GET("/api/v1/analytics/costs", { params: { query } })),
    enabled,
  );

/** The same key the queue and people screens use, so the shop list is fetched once. */
export const useShops = () =>
  useQuery({ queryKey: ["shops"], queryFn: () => call(api.GET("/api/v1/shops")) });

/**
 * Download what a chart shows as a file (the API's ?format=csv|xlsx), titled in the person's language;
 * answers the file's name. A refusal throws with the problem's message.
 */
export async function downloadReport(path: string, query: object, format: "csv" | "xlsx"): Promise<string> {
  const params = new URLSearchParams(
    Object.entries({ ...query, format }).filter(([, v]) => v !== undefined) as [string, string][],
  );
  const res = await fetch(`/api/v1/analytics/${path}?${params}`, {
    headers: { "accept-language": i18n.language },
    credentials: "same-origin",
  });
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
    throw new ApiError(res.status, p.code ?? `HTTP_${res.status}`, p.detail ?? p.title ?? res.statusText);
  }
  const file =
    /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `${path}.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return file;
}
