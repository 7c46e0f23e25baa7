import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { keys } from "../../shared/keys.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
export type AlertPage = Json<paths["/api/v1/alerts"]["get"]>;
export type AlertRow = AlertPage["items"][number];
type AlertQuery = NonNullable<paths["/api/v1/alerts"]["get"]["parameters"]["query"]>;

export const KINDS = ["case_risk", "sku_quality", "category_quality"] as const;
export const SEVERITIES = ["critical", "warning"] as const;
export const STATUSES = ["open", "acknowledged", "all"] as const;
export type Status = (typeof STATUSES)[number];
export const PAGE_SIZES = [20, 50, 100] as const;

/** The inbox as the address says it (?status=open&kind=sku_quality&shop=a,b&page=2), so it can be shared. */
export interface AlertState {
  status: Status;
  kind: AlertRow["kind"] | "";
  severity: AlertRow["severity"] | "";
  shop: string[];
  page: number;
  size: number;
}

function readState(p: URLSearchParams): AlertState {
  const pick = <T extends string>(v: string | null, allowed: readonly T[]): T | "" =>
    (allowed as readonly string[]).includes(v ?? "") ? (v as T) : "";
  const size = Number(p.get("size"));
  return {
    status: pick(p.get("status"), STATUSES) || "open",
    kind: pick(p.get("kind"), KINDS),
    severity: pick(p.get("severity"), SEVERITIES),
    shop: (p.get("shop") ?? "").split(",").filter(Boolean),
    page: Math.max(1, Number.parseInt(p.get("page") ?? "1", 10) || 1),
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : PAGE_SIZES[0],
  };
}

function writeState(s: AlertState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.status !== "open") p.set("status", s.status);
  if (s.kind) p.set("kind", s.kind);
  if (s.severity) p.set("severity", s.severity);
  if (s.shop.length) p.set("shop", s.shop.join(","));
  if (s.page > 1) p.set("page", String(s.page));
  if (s.size !== PAGE_SIZES[0]) p.set("size", String(s.size));
  return p;
}

/** The state and a way to change it; a new filter starts again at page 1. */
export function useAlertState(): [AlertState, (patch: Partial<AlertState>) => void] {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the address text is the state's identity
  const state = useMemo(() => readState(params), [text]);
  const set = (patch: Partial<AlertState>) =>
    setParams(writeState({ ...state, ...("page" in patch ? {} : { page: 1 }), ...patch }));
  return [state, set];
}

export function toQuery(s: AlertState): AlertQuery {
  return {
    ...(s.status !== "all" ? { status: s.status } : {}),
    ...(s.kind ? { kind: s.kind } : {}),
    ...(s.severity ? { severity: s.severity } : {}),
    ...(s.shop.length ? { shop: s.shop.join(",") } : {}),
    offset: (s.page - 1) * s.size,
    limit: s.size,
  };
}

export const useAlerts = (query: AlertQuery) =>
  useQuery({
    queryKey: keys.alerts(query),
    queryFn: () => call(api.GET("/api/v1/alerts", { params: { query } })),
    placeholderData: keepPreviousData,
  });

/** How many open alerts there are (the tab's badge): a page of one, read for its total. */
export const useOpenCount = () => useAlerts({ status: "open", limit: 1 }).data?.total;

export const useShops = () =>
  useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });

/**
 * Acknowledge each alert in turn; one someone else acknowledged meanwhile is not a failure of the
 * others. Answers which ones this person acknowledged and which were refused (with the server's words).
 */
export function useAcknowledge() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ ids, note }: { ids: number[]; note: string }) => {
      const done: number[] = [];
      const refused: { id: number; message: string }[] = [];
      for (const id of ids) {
        try {
          await call(
            api.POST("/api/v1/alerts/{id}/acknowledge", {
              params: { path: { id } },
              body: note.trim() ? { note: note.trim() } : {},
            }),
          );
          done.push(id);
        } catch (e) {
          refused.push({ id, message: (e as Error).message });
        }
      }
      return { done, refused };
    },
    // Acknowledging is not a case change: the live stream does not announce it.
    onSettled: () => client.invalidateQueries({ queryKey: keys.alerts() }),
  });
}

export function useQualityScan() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST("/api/v1/alerts/quality-scan", { body: {} })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.alerts() }),
  });
}
