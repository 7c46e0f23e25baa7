// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import type { RuleSetDefinition } from "./definition.ts";

/**
 * The rules a new merchant starts with (默认规则): safe automation for the clear cases, people for
 * the rest. Highest priority first; the first matched rule that approves, rejects or routes decides.
 */
export const DEFAULT_RULE_SET: RuleSetDefinition = {
  currency: "CNY",
  rules: [
    {
      id: "high-risk",
      name: { zh: "高风险转风控审核", en: "High risk to the risk team" },
      priority: 100,
      when: { field: "case.risk_score", op: "gte", value: 70 },
      then: [
        { action: "route", queue: "risk", priority: 90 },
        { action: "require_evidence", kinds: ["photo"] },
        { action: "add_tags", tags: ["high_risk"] },
      ],
    },
    {
      id: "vip-fast-lane",
      name: { zh: "VIP 会员优先处理", en: "VIP fast lane" },
      priority: 90,
      when: { field: "customer.tier", op: "eq", value: "vip" },
      then: [
        { action: "route", queue: "vip", priority: 90 },
        { action: "set_sla", hours: 4 },
      ],
    },
    {
      id: "not-received-but-signed",
      name: { zh: "未收到货但物流已签收", en: "Not received, but signed for" },
      priority: 80,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "not_received" },
          { field: "parcel.status", op: "eq", value: "signed" },
        ],
      },
      then: [
        { action: "route", queue: "logistics", priority: 60 },
        { action: "require_evidence", kinds: ["photo"] },
      ],
    },
    {
      id: "no-reason-return-excluded",
      name: {
        zh: "不支持七天无理由的商品拒绝无理由退货",
        en: "No-reason returns refused for excluded products",
      },
      priority: 70,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "changed_mind" },
          { field: "product.policy", op: "contains_any", value: ["no_7day_return", "customised", "fresh"] },
          // Before it ships, any order may be cancelled for a refund, whatever the product.
          { field: "parcel.status", op: "ne", value: "unshipped" },
        ],
      },
      then: [{ action: "reject", reason: "policy_excludes" }],
    },
    {
      id: "quality-needs-evidence",
      name: { zh: "质量类问题缺少凭证转质检", en: "Quality claims without evidence to the quality team" },
      priority: 60,
      when: {
        all: [
          { field: "case.reason", op: "in", value: ["quality", "damaged", "not_as_described"] },
          { field: "case.has_evidence", op: "eq", value: false },
        ],
      },
      then: [
        { action: "require_evidence", kinds: ["photo", "video"] },
        { action: "route", queue: "quality", priority: 60 },
      ],
    },
    {
      id: "unshipped-refund-only",
      name: { zh: "未发货仅退款自动同意", en: "Refund-only before shipping: approve" },
      priority: 50,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "parcel.status", op: "eq", value: "unshipped" },
        ],
      },
      then: [{ action: "approve" }],
    },
    {
      id: "small-refund-only",
      name: { zh: "小额仅退款自动同意", en: "Small refund-only auto-approve" },
      priority: 40,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "refund_only" },
          { field: "case.quoted_amount", op: "lte", value: "30.00" },
          { field: "customer.refund_count", window: 90, op: "lte", value: 2 },
          { field: "case.risk_score", op: "lt", value: 40 },
        ],
      },
      then: [{ action: "approve" }],
    },
    {
      id: "no-reason-return-7-days",
      name: {
        zh: "签收 7 天内无理由退货自动同意",
        en: "No-reason return within 7 days of delivery: approve",
      },
      priority: 30,
      when: {
        all: [
          { field: "case.type", op: "eq", value: "return_refund" },
          { field: "case.reason", op: "eq", value: "changed_mind" },
          { field: "order.days_since_delivery", op: "lte", value: 7 },
        ],
      },
      then: [{ action: "approve" }],
    },
    {
      id: "default-sla",
      name: { zh: "默认 48 小时内处理", en: "Handle within 48 hours" },
      priority: 0,
      when: { all: [] },
      then: [{ action: "set_sla", hours: 48 }],
    },
  ],
  solutions: [
    {
      id: "fresh-spoiled",
      priority: 50,
      when: {
        all: [
          { field: "product.policy", op: "contains", value: "fresh" },
          { field: "case.reason", op: "eq", value: "spoiled" },
        ],
      },
      solution: "refund_without_return",
      why: {
        zh: "生鲜商品已变质，寄回没有意义，直接退款更快也更省运费",
        en: "Spoiled fresh goods are not worth sending back; refunding without a return is faster and saves postage",
      },
    },
    {
      id: "cross-border-delay",
      priority: 40,
      when: {
        all: [
          { field: "product.policy", op: "contains", value: "cross_border" },
          { field: "case.reason", op: "eq", value: "logistics_delay" },
        ],
      },
      solution: "compensation_coupon",
      why: {
        zh: "跨境包裹清关延误多可自行恢复，发放补偿券并延长售后期，既安抚顾客又避免退款",
        en: "Customs delays on cross-border parcels usually clear; a coupon and a longer after-sales window keep the customer without a refund",
      },
    },
    {
      id: "lost-parcel",
      priority: 30,
      when: { field: "case.reason", op: "eq", value: "logistics_lost" },
      solution: "reship_or_refund",
      why: {
        zh: "包裹在运输中丢失，责任在承运方，由顾客选择补发或退款，再向快递索赔",
        en: "The parcel was lost in transit; let the customer choose a reship or a refund, and claim from the carrier",
      },
    },
    {
      id: "wrong-item",
      priority: 20,
      when: { field: "case.reason", op: "eq", value: "wrong_item" },
      solution: "exchange_or_reship",
      why: {
        zh: "商家发错货，顾客想要的是正确的商品，优先换货或补发",
        en: "We sent the wrong item; the customer still wants the right one, so exchange or reship first",
      },
    },
    {
      id: "small-quality",
      priority: 10,
      when: {
        all: [
          { field: "case.reason", op: "eq", value: "quality" },
          { field: "case.quoted_amount", op: "lte", value: "50.00" },
        ],
      },
      solution: "partial_refund_without_return",
      why: {
        zh: "小额质量问题，退回运费不划算，部分退款且无需退货，顾客和商家都省事",
        en: "For a small quality problem a return costs more than it saves; a partial refund without return suits both sides",
      },
    },
  ],
};
