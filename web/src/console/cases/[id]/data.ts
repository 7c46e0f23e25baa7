import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../../shared/api.ts";
import type { paths } from "../../../shared/api-types.ts";
import { keys } from "../../../shared/keys.ts";
import type { Money } from "../../../shared/money.ts";

/** GET /cases/{id}/view: the case and every fact around it, as one answer. */
export type CaseViewData =
  paths["/api/v1/cases/{id}/view"]["get"]["responses"][200]["content"]["application/json"];
export type CaseData = CaseViewData["case"];
export type Highlight = CaseViewData["highlights"]["items"][number];
export type Parcel = CaseViewData["parcels"][number];
export type Quote = NonNullable<CaseData["quote"]>;

export const useCaseView = (id: number) =>
  useQuery({
    queryKey: keys.caseView(id),
    queryFn: () => call(api.GET("/api/v1/cases/{id}/view", { params: { path: { id } } })),
  });

/** The refund types: cases that give money back and so have a quote. */
export const isMoneyCase = (c: CaseData) => c.type === "refund_only" || c.type === "return_refund";

/** An amount of the case's currency, for formatMoney. */
export const inCurrency = (view: { currency: string }, amount: string | null | undefined): Money | null =>
  amount === null || amount === undefined ? null : { amount, currency: view.currency };

/** What a person edits of a refund before granting it (decimal strings as the API takes them). */
export interface QuoteEdits {
  amount?: string;
  shipping?: string;
  deductions?: { kind: "restocking_fee" | "return_shipping" | "other"; amount: string; note?: string }[];
}

/**
 * The refund as it would be granted now with these edits (POST /refund-quotes over the case's items):
 * the same quote the grant computes, so what the form shows is what the grant sends. Kept under the
 * case's key, so a change to the case (another refund, a receipt) refreshes it.
 */
export function useQuote(view: CaseViewData | undefined, edits: QuoteEdits, enabled: boolean) {
  const c = view?.case;
  const body = c
    ? {
        orderId: c.orderId,
        reason: c.reason,
        items: c.items.map((i) => ({ lineId: i.lineId, quantity: i.quantity })),
        ...edits,
      }
    : undefined;
  return useQuery({
    queryKey: [...keys.case(c?.id ?? 0), "quote", edits],
    queryFn: () => call(api.POST("/api/v1/refund-quotes", { body: body as NonNullable<typeof body> })),
    enabled: enabled && Boolean(body),
    retry: false,
    placeholderData: (previous) => previous,
  });
}
