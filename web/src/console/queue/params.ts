import { useMemo } from "react";
import { useSearchParams } from "react-router";
import type { paths } from "../../shared/api-types.ts";

/**
 * The workspace's state lives in the address (?status=requested&owner=me&sort=amount&open=42…), so a
 * filtered queue can be bookmarked, shared and reloaded. Parameter names are the API's own (GET /queue).
 */

/** A queue filter as the screen holds it: lists as arrays (the API takes them comma-separated). */
export interface Filter {
  /** States; ["all"]: every state, closed ones too. */
  status?: string[];
  type?: string[];
  shop?: string[];
  reason?: string[];
  source?: string[];
  channel?: string[];
  /** Opened from / until these days (YYYY-MM-DD, inclusive), in the merchant's time zone. */
  createdFrom?: string;
  createdTo?: string;
  /** "me", "none" or a user id. */
  owner?: string;
  minRisk?: number;
  due?: "overdue" | "soon";
  secondApproval?: boolean;
  q?: string;
}
export type FilterKey = keyof Filter;

type QueueQuery = NonNullable<paths["/api/v1/queue"]["get"]["parameters"]["query"]>;

/** A filter as the API says it (GET /queue query, saved views, batch by filter): lists comma-separated. */
export type ApiFilter = Pick<QueueQuery, FilterKey>;

const LISTS = ["status", "type", "shop", "reason", "source", "channel"] as const;
const DAYS = ["createdFrom", "createdTo"] as const;
export const FILTER_KEYS: FilterKey[] = [...LISTS, ...DAYS, "owner", "minRisk", "due", "secondApproval", "q"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const SORTS = ["slaDueAt", "createdAt", "statusSince", "amount", "riskScore", "id"] as const;
export type Sort = (typeof SORTS)[number];
export type Order = "asc" | "desc";
/** Most urgent first unless the person picks another order (the server's own defaults). */
export const DEFAULT_ORDER: Record<Sort, Order> = {
  slaDueAt: "asc",
  createdAt: "asc",
  statusSince: "asc",
  amount: "desc",
  riskScore: "desc",
  id: "asc",
};
export const PAGE_SIZES = [20, 50, 100] as const;

export interface QueueState {
  /** Filters said in the address; a view's own filters apply under them. */
  explicit: Filter;
  view: string | undefined;
  sort: Sort;
  order: Order;
  page: number;
  size: number;
  /** The case open in the side pane. */
  open: number | undefined;
}

const split = (v: string | null | undefined) =>
  v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** An API-shaped filter (a saved view's) as the screen holds it. */
export function fromApi(f: ApiFilter | Record<string, unknown> | undefined): Filter {
  const out: Filter = {};
  if (!f) return out;
  const a = f as ApiFilter;
  for (const k of LISTS) {
    const items = split(a[k]);
    if (items.length) out[k] = items;
  }
  for (const k of DAYS) if (a[k] && DAY.test(a[k])) out[k] = a[k];
  if (a.owner) out.owner = String(a.owner);
  if (typeof a.minRisk === "number") out.minRisk = a.minRisk;
  if (a.due === "overdue" || a.due === "soon") out.due = a.due;
  if (typeof a.secondApproval === "boolean") out.secondApproval = a.secondApproval;
  if (a.q) out.q = a.q;
  return out;
}

export function toApi(f: Filter): ApiFilter {
  const out: ApiFilter = {};
  for (const k of LISTS) if (f[k]?.length) out[k] = f[k]?.join(",");
  for (const k of DAYS) if (f[k]) out[k] = f[k];
  if (f.owner) out.owner = f.owner;
  if (f.minRisk !== undefined) out.minRisk = f.minRisk;
  if (f.due) out.due = f.due;
  if (f.secondApproval !== undefined) out.secondApproval = f.secondApproval;
  if (f.q) out.q = f.q;
  return out;
}

const isEmpty = (v: unknown) => v === undefined || v === "" || (Array.isArray(v) && v.length === 0);

/** Read the address; anything malformed is ignored rather than sent on. */
export function readState(p: URLSearchParams): QueueState {
  const raw: ApiFilter = {};
  for (const k of LISTS) raw[k] = p.get(k) ?? undefined;
  for (const k of DAYS) raw[k] = p.get(k) ?? undefined;
  raw.owner = p.get("owner") ?? undefined;
  const risk = Number(p.get("minRisk") ?? Number.NaN);
  if (Number.isInteger(risk) && risk >= 0) raw.minRisk = risk;
  raw.due = (p.get("due") ?? undefined) as ApiFilter["due"];
  const second = p.get("secondApproval");
  if (second === "true" || second === "false") raw.secondApproval = second === "true";
  raw.q = p.get("q")?.trim() || undefined;
  const sort = (SORTS as readonly string[]).includes(p.get("sort") ?? "")
    ? (p.get("sort") as Sort)
    : "slaDueAt";
  const order =
    p.get("order") === "asc" || p.get("order") === "desc" ? (p.get("order") as Order) : DEFAULT_ORDER[sort];
  const page = Math.max(1, Number.parseInt(p.get("page") ?? "1", 10) || 1);
  const size = Number(p.get("size"));
  const open = Number.parseInt(p.get("open") ?? "", 10);
  return {
    explicit: fromApi(raw),
    view: p.get("view") || undefined,
    sort,
    order,
    page,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
    open: open > 0 ? open : undefined,
  };
}

function writeState(s: QueueState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.view) p.set("view", s.view);
  for (const [k, v] of Object.entries(toApi(s.explicit))) p.set(k, String(v));
  if (s.sort !== "slaDueAt" || s.order !== DEFAULT_ORDER.slaDueAt) {
    p.set("sort", s.sort);
    p.set("order", s.order);
  }
  if (s.page > 1) p.set("page", String(s.page));
  if (s.size !== 50) p.set("size", String(s.size));
  if (s.open) p.set("open", String(s.open));
  return p;
}

/** What the list shows: the chosen view's filters with the address's own on top. */
export const effectiveFilter = (s: QueueState, viewFilter: Filter | undefined): Filter => ({
  ...(viewFilter ?? {}),
  ...s.explicit,
});

/**
 * The change of one or more filter fields. Adding to a view keeps the view (its filters stay, the new
 * ones narrow it); clearing a field the view itself sets can only be said by leaving the view, so its
 * filters are copied into the address and the view let go.
 */
export function withFilter(s: QueueState, patch: Filter, viewFilter: Filter | undefined): QueueState {
  const explicit: Filter = { ...s.explicit, ...patch };
  const clearsView = Object.entries(patch).some(
    ([k, v]) => isEmpty(v) && viewFilter && !isEmpty(viewFilter[k as FilterKey]),
  );
  const base = clearsView ? { ...viewFilter, ...explicit } : explicit;
  const clean = Object.fromEntries(Object.entries(base).filter(([, v]) => !isEmpty(v))) as Filter;
  return { ...s, explicit: clean, view: clearsView ? undefined : s.view, page: 1 };
}

/** How many filters are set (a range of days counts once). */
export const countFilters = (f: Filter) =>
  FILTER_KEYS.filter((k) => k !== "q" && !(k === "createdTo" && f.createdFrom) && !isEmpty(f[k])).length;

/** The workspace's state and a way to change it (replacing the history entry: filters are not pages). */
export function useQueueState(): [QueueState, (next: QueueState, push?: boolean) => void] {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the address text is the state's identity
  const state = useMemo(() => readState(params), [text]);
  const set = (next: QueueState, push = false) => setParams(writeState(next), { replace: !push });
  return [state, set];
}
