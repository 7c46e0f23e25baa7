import dayjs from "dayjs";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import type { paths } from "../../shared/api-types.ts";
import { CHANNEL_CODES } from "../queue/text.ts";

/**
 * The dashboard's state lives in the address (?from=2026-06&to=2026-11&shop=…&channel=…&by=sku), so a
 * view of the numbers can be bookmarked and shared. Every chart answers for the same months, shop and
 * channel; the parameter names are the API's own (GET /analytics/…).
 */

export const TREND_BY = ["category", "sku", "shop"] as const;
export type TrendBy = (typeof TREND_BY)[number];

/** A channel as the API names it (tmall, jd, …). */
export type Channel = NonNullable<
  NonNullable<paths["/api/v1/analytics/reasons"]["get"]["parameters"]["query"]>["channel"]
>;

/** What every chart counts: months (YYYY-MM, inclusive), and optionally one shop and one channel. */
export interface Scope {
  from: string;
  to: string;
  shop?: string;
  channel?: Channel;
}
export interface DashboardState extends Scope {
  /** The refund-rate trend's lines: by category, SKU or shop. */
  by: TrendBy;
  /** The stage whose trend is drawn (a state's code). */
  stage?: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** Without months in the address: the last six, this one included. */
export const DEFAULT_MONTHS = 6;

export function readState(p: URLSearchParams, now = dayjs()): DashboardState {
  let from = p.get("from") ?? "";
  let to = p.get("to") ?? "";
  if (!MONTH.test(to)) to = now.format("YYYY-MM");
  if (!MONTH.test(from))
    from = dayjs(`${to}-01`)
      .subtract(DEFAULT_MONTHS - 1, "month")
      .format("YYYY-MM");
  if (from > to) [from, to] = [to, from];
  const by = p.get("by");
  const channel = p.get("channel") ?? "";
  return {
    from,
    to,
    shop: p.get("shop") || undefined,
    channel: (CHANNEL_CODES as readonly string[]).includes(channel) ? (channel as Channel) : undefined,
    by: (TREND_BY as readonly string[]).includes(by ?? "") ? (by as TrendBy) : "category",
    stage: p.get("stage") || undefined,
  };
}

function writeState(s: DashboardState): URLSearchParams {
  const p = new URLSearchParams({ from: s.from, to: s.to });
  if (s.shop) p.set("shop", s.shop);
  if (s.channel) p.set("channel", s.channel);
  if (s.by !== "category") p.set("by", s.by);
  if (s.stage) p.set("stage", s.stage);
  return p;
}

/** The API's query for the shared filters. */
export const scopeOf = (s: DashboardState): Scope => ({
  from: s.from,
  to: s.to,
  ...(s.shop ? { shop: s.shop } : {}),
  ...(s.channel ? { channel: s.channel } : {}),
});

/** Every month of the range, in order: the time axis every chart over months shares. */
export function useMonths({ from, to }: Scope): string[] {
  return useMemo(() => {
    const out: string[] = [];
    for (let m = dayjs(`${from}-01`); m.format("YYYY-MM") <= to && out.length < 240; m = m.add(1, "month"))
      out.push(m.format("YYYY-MM"));
    return out;
  }, [from, to]);
}

/**
 * The queue showing exactly the cases a chart counted: opened in those months (or the one month a bar
 * stands for) in the merchant's time zone, in every state, in the same shop and channel.
 */
export function queueLink(s: Scope, only: { reason?: string; month?: string } = {}): string {
  const first = only.month ?? s.from;
  const last = only.month ?? s.to;
  const p = new URLSearchParams({
    status: "all",
    createdFrom: `${first}-01`,
    createdTo: dayjs(`${last}-01`).endOf("month").format("YYYY-MM-DD"),
  });
  if (only.reason) p.set("reason", only.reason);
  if (s.shop) p.set("shop", s.shop);
  if (s.channel) p.set("channel", s.channel);
  p.set("sort", "createdAt");
  p.set("order", "asc");
  return `/queue?${p}`;
}

/** The dashboard's state and a way to change it (a new history entry: a range is worth going back to). */
export function useDashboardState(): [DashboardState, (patch: Partial<DashboardState>) => void] {
  const [params, setParams] = useSearchParams();
  const text = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the address text is the state's identity
  const state = useMemo(() => readState(params), [text]);
  const set = (patch: Partial<DashboardState>) => setParams(writeState({ ...state, ...patch }));
  return [state, set];
}
