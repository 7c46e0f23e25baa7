import { keepPreviousData, useQuery } from "@tanstack/react-query";
import dayjs from "dayjs";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { keys } from "../../shared/keys.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
export type RefundPage = Json<paths["/api/v1/refunds"]["get"]>;
export type RefundRow = RefundPage["items"][number];
type RefundQuery = NonNullable<paths["/api/v1/refunds"]["get"]["parameters"]["query"]>;

export const VIEWS = ["all", "transfer", "action", "processing"] as const;
export type View = (typeof VIEWS)[number];
export const PAGE_SIZES = [20, 50, 100] as const;

/** The refund list as the address says it (?view=transfer&status=failed&q=…&page=2), so it can be shared. */
export interface RefundState {
  view: View;
  status: string[];
  channel: string[];
  shop: string[];
  q: string;
  /** Created from / to (days, inclusive), in the browser's time zone. */
  from: string;
  to: string;
  page: number;
  size: number;
}

const split = (v: string | null) => (v ? v.split(",").filter(Boolean) : []);

function readState(p: URLSearchParams): RefundState {
  const view = (VIEWS as readonly string[]).includes(p.get("view") ?? "") ? (p.get("view") as View) : "all";
  const size = Number(p.get("size"));
  return {
    view,
    status: split(p.get("status")),
    channel: split(p.get("channel")),
    shop: split(p.get("shop")),
    q: p.get("q")?.trim() ?? "",
    from: /^\d{4}-\d{2}-\d{2}$/.test(p.get("from") ?? "") ? (p.get("from") as string) : "",
    to: /^\d{4}-\d{2}-\d{2}$/.test(p.get("to") ?? "") ? (p.get("to") as string) : "",
    page: Math.max(1, Number.parseInt(p.get("page") ?? "1", 10) || 1),
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 20,
  };
}

function writeState(s: RefundState) {
  const p = new URLSearchParams();
  if (s.view !== "all") p.set("view", s.view);
  for (const k of ["status", "channel", "shop"] as const) if (s[k].length) p.set(k, s[k].join(","));
  if (s.q) p.set("q", s.q);
  if (s.from && s.to) {
    p.set("from", s.from);
    p.set("to", s.to);
  }
  if (s.page > 1) p.set("page", String(s.page));
  if (s.size !== 20) p.set("size", String(s.size));
  return p;
}

export function useRefundState(): [RefundState, (patch: Partial<RefundState>) => void] {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the address text is the state's identity
  const state = useMemo(() => readState(params), [text]);
  // Any change but a page turn starts again from the first page. The address as it is at the moment
  // of the change, not as this render saw it: two changes in quick succession both count.
  const set = (patch: Partial<RefundState>) =>
    setParams(writeState({ ...readState(new URLSearchParams(window.location.search)), page: 1, ...patch }), {
      replace: true,
    });
  return [state, set];
}

/** What each view asks the server on top of the filters. */
const VIEW_QUERY: Record<View, RefundQuery> = {
  all: {},
  transfer: { awaiting: "transfer" },
  action: { awaiting: "action" },
  processing: { status: "requested,processing" },
};

export function toQuery(s: RefundState): RefundQuery {
  return {
    ...VIEW_QUERY[s.view],
    ...(s.status.length ? { status: s.status.join(",") } : {}),
    ...(s.channel.length ? { channel: s.channel.join(",") } : {}),
    ...(s.shop.length ? { shop: s.shop.join(",") } : {}),
    ...(s.q ? { q: s.q } : {}),
    // Whole days where the person is: from the first day's midnight to the midnight after the last.
    ...(s.from && s.to
      ? { from: dayjs(s.from).toISOString(), to: dayjs(s.to).add(1, "day").toISOString() }
      : {}),
    offset: (s.page - 1) * s.size,
    limit: s.size,
  };
}

/** One page of refund legs: the server filters and pages; live events refresh it (keys.refunds). */
export function useRefunds(query: RefundQuery, enabled = true) {
  return useQuery({
    queryKey: keys.refunds(query),
    queryFn: () => call(api.GET("/api/v1/refunds", { params: { query } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** How many refunds a view holds (its badge): a page of one, read for its total. */
export const useViewCount = (view: View) => useRefunds({ ...VIEW_QUERY[view], limit: 1 }).data?.total;

export const useShops = () =>
  useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
