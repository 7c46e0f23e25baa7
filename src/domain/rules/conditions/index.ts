import type { Condition } from "../condition.ts";
import { caseCasesOnOrder } from "./case-cases-on-order.ts";
import { caseHasEvidence } from "./case-has-evidence.ts";
import { caseItemCount } from "./case-item-count.ts";
import { caseQuotedAmount } from "./case-quoted-amount.ts";
import { caseReason } from "./case-reason.ts";
import { caseRequestedAmount } from "./case-requested-amount.ts";
import { caseRiskScore } from "./case-risk-score.ts";
import { caseSource } from "./case-source.ts";
import { caseSubmittedHour } from "./case-submitted-hour.ts";
import { caseTags } from "./case-tags.ts";
import { caseType } from "./case-type.ts";
import { caseWholeOrder } from "./case-whole-order.ts";
import { customerCreditScore } from "./customer-credit-score.ts";
import { customerRefundCount } from "./customer-refund-count.ts";
import { customerRefundRate } from "./customer-refund-rate.ts";
import { customerTags } from "./customer-tags.ts";
import { customerTier } from "./customer-tier.ts";
import { orderAmount } from "./order-amount.ts";
import { orderChannel } from "./order-channel.ts";
import { orderDaysSinceDelivery } from "./order-days-since-delivery.ts";
import { orderDaysSincePayment } from "./order-days-since-payment.ts";
import { orderDaysSinceShipment } from "./order-days-since-shipment.ts";
import { orderShop } from "./order-shop.ts";
import { parcelStatus } from "./parcel-status.ts";
import { productCategory } from "./product-category.ts";
import { productPolicy } from "./product-policy.ts";
import { productSku } from "./product-sku.ts";

/** Every field rules can look at, in the order a rule editor lists them. A new field: one line here. */
export const CONDITIONS: readonly Condition[] = [
  caseType,
  caseReason,
  caseSource,
  caseRequestedAmount,
  caseQuotedAmount,
  caseItemCount,
  caseWholeOrder,
  caseHasEvidence,
  caseSubmittedHour,
  caseRiskScore,
  caseTags,
  caseCasesOnOrder,
  orderAmount,
  orderShop,
  orderChannel,
  orderDaysSincePayment,
  orderDaysSinceShipment,
  orderDaysSinceDelivery,
  parcelStatus,
  customerTier,
  customerCreditScore,
  customerRefundCount,
  customerRefundRate,
  customerTags,
  productSku,
  productCategory,
  productPolicy,
];

const BY_FIELD = new Map<string, Condition>();
for (const c of CONDITIONS) {
  if (BY_FIELD.has(c.field)) throw new Error(`Condition field "${c.field}" is registered twice`);
  BY_FIELD.set(c.field, c);
}

export const conditionFor = (field: string): Condition | undefined => BY_FIELD.get(field);
export const CONDITION_FIELDS: readonly string[] = CONDITIONS.map((c) => c.field);
