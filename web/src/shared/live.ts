import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { keys } from "./keys.ts";

/** One change as the server announces it (GET /api/v1/events): which case and order it touched. */
export interface Change {
  kind: "case";
  caseId: number;
  orderId: number;
  shopId: string;
  status: string;
  action: string;
  at: string;
}

const MONEY_MOVES = /^(refund_|compensate$)/;

export type LiveState = "connecting" | "live" | "reconnecting";

/**
 * Analytics answers come from rollups the fold job brings up to date about a second after a change
 * (migration 021): they are refreshed this long after a burst, once.
 */
const ANALYTICS_DELAY_MS = 2500;

/**
 * Changes arrive in bursts (a batch approval, a platform sync): gather them for a moment and refresh
 * each touched case and order once, and the lists once; the open charts a little later.
 */
function invalidator(client: QueryClient) {
  let cases = new Set<number>();
  let orders = new Set<number>();
  let pending = false;
  let analyticsPending = false;
  const flushAnalytics = () => {
    analyticsPending = false;
    void client.invalidateQueries({ queryKey: keys.analytics() });
  };
  let money = false;
  const flush = () => {
    pending = false;
    for (const id of cases) void client.invalidateQueries({ queryKey: keys.case(id) });
    for (const id of orders) void client.invalidateQueries({ queryKey: keys.order(id) });
    // A case's step is what moves stock (receipts, inspections, replacements), claims parcels and moves refunds.
    for (const key of [
      keys.queue(),
      keys.board(),
      keys.views(),
      keys.inventory(),
      keys.parcels(),
      keys.refunds(),
      keys.alerts(),
    ])
      void client.invalidateQueries({ queryKey: key });
    if (money) void client.invalidateQueries({ queryKey: keys.ledger() });
    cases = new Set();
    orders = new Set();
    money = false;
  };
  return (c: Change) => {
    cases.add(c.caseId);
    orders.add(c.orderId);
    // The ledger hears of money only when a refund settles or someone compensates (or many cases moved).
    if (c.kind !== "case" || MONEY_MOVES.test(c.action ?? "")) money = true;
    if (!pending) {
      pending = true;
      setTimeout(flush, 150);
    }
    if (!analyticsPending) {
      analyticsPending = true;
      setTimeout(flushAnalytics, ANALYTICS_DELAY_MS);
    }
  };
}

/**
 * Keeps every open screen current: the server's event stream names what each change touched and the
 * matching queries refetch. After a dropped connection everything refetches (events may have been missed).
 */
export function useLiveUpdates(enabled: boolean): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource("/api/v1/events");
    const changed = invalidator(client);
    let dropped = false;
    source.addEventListener("change", (e) => changed(JSON.parse((e as MessageEvent<string>).data) as Change));
    source.onopen = () => {
      setState("live");
      if (dropped) void client.invalidateQueries();
      dropped = false;
    };
    source.onerror = () => {
      dropped = true;
      setState("reconnecting");
    };
    return () => source.close();
  }, [client, enabled]);
  return state;
}
