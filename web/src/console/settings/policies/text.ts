/**
 * The after-sales policies a SKU or category can carry (src/domain/catalogue.ts POLICIES), in words, and
 * what each does to a case under the default rules (src/domain/rules/default-rules.ts).
 */
export const POLICY_WORDS = {
  no_7day_return: {
    zh: "不支持七天无理由",
    en: "No 7-day no-reason return",
    zhMeaning: "发货后以“七天无理由”申请的退货，默认规则会拒绝（该商品不支持此售后）；未发货前仍可取消退款。",
    enMeaning:
      "Once shipped, a no-reason (changed mind) return is refused by the default rules; before shipping the order can still be cancelled and refunded.",
  },
  fresh: {
    zh: "生鲜/易腐",
    en: "Fresh or perishable",
    zhMeaning: "同样不支持七天无理由退货；顾客反映变质时，建议直接退款、无需寄回。",
    enMeaning:
      "No no-reason returns either; when the customer reports it spoiled, the suggestion is a refund without sending it back.",
  },
  cross_border: {
    zh: "跨境商品",
    en: "Cross-border",
    zhMeaning: "物流延误（多为清关）时，建议发放补偿券并延长售后期，而不是退款。",
    enMeaning:
      "On a delivery delay (usually customs), the suggestion is a compensation coupon and a longer after-sales window instead of a refund.",
  },
  customised: {
    zh: "定制商品",
    en: "Customised",
    zhMeaning: "按顾客要求定制，发货后不支持七天无理由退货。",
    enMeaning: "Made to the customer's order: no no-reason returns once shipped.",
  },
} as const;
export type PolicyCode = keyof typeof POLICY_WORDS;
export const POLICY_CODES = Object.keys(POLICY_WORDS) as PolicyCode[];

/** A policy's name and meaning in `language` (a code this release does not know: itself, no meaning). */
export function policyWords(language: string) {
  const zh = language !== "en";
  const known = (c: string) => POLICY_WORDS[c as PolicyCode] as (typeof POLICY_WORDS)[PolicyCode] | undefined;
  return {
    policyName: (c: string) => {
      const w = known(c);
      return w ? (zh ? w.zh : w.en) : c;
    },
    meaning: (c: string) => {
      const w = known(c);
      return w ? (zh ? w.zhMeaning : w.enMeaning) : "";
    },
  };
}

export const TEXT = {
  "zh-CN": {
    title: "商品售后政策",
    intro:
      "为 SKU 或整个类目设置售后政策。一件商品适用它自己的 SKU 和所属类目上的全部政策；审核规则据此自动判断，审核时也会在售后单上显示。",
    meanings: "各政策的含义",
    add: "添加政策",
    addTitle: "添加商品售后政策",
    editTitle: "编辑 {{kind}} {{key}} 的售后政策",
    kind: "适用于",
    kinds: { sku: "SKU", category: "类目" },
    allKinds: "全部",
    key: "SKU 或类目",
    keyHint: { sku: "SKU 编码，例如 TEE-BLK-M", category: "类目名称，例如 fresh_food" },
    policies: "售后政策",
    policiesRequired: "至少选择一项政策；要取消全部政策，请删除这一项",
    exists: "{{key}} 已设置过售后政策，请在列表中编辑它",
    updated: "更新时间",
    search: "搜索 SKU 或类目",
    policyFilter: "按政策筛选",
    kindFilter: "按适用范围筛选",
    remove: "删除",
    removeTitle: "删除 {{key}} 的全部售后政策？",
    removeBody: "之后的售后单不再按这些政策审核。",
    removed: "已删除 {{key}} 的售后政策",
    saved: "已保存 {{key}} 的售后政策",
    history: "变更记录",
    empty: "还没有设置售后政策",
  },
  en: {
    title: "Product after-sales policies",
    intro:
      "Set after-sales policies on a SKU or a whole category. A product carries every policy on its SKU and on its category; the review rules decide by them, and reviewers see them on the case.",
    meanings: "What each policy means",
    add: "Add policy",
    addTitle: "Add a product after-sales policy",
    editTitle: "Edit the policies of {{kind}} {{key}}",
    kind: "Applies to",
    kinds: { sku: "SKU", category: "Category" },
    allKinds: "All",
    key: "SKU or category",
    keyHint: { sku: "The SKU code, e.g. TEE-BLK-M", category: "The category, e.g. fresh_food" },
    policies: "Policies",
    policiesRequired: "Choose at least one policy; to remove them all, delete the entry",
    exists: "{{key}} has policies already: edit it in the list",
    updated: "Updated",
    search: "Search SKU or category",
    policyFilter: "Filter by policy",
    kindFilter: "Filter by what it applies to",
    remove: "Delete",
    removeTitle: "Delete every policy of {{key}}?",
    removeBody: "Cases from now on are no longer reviewed by them.",
    removed: "Deleted the policies of {{key}}",
    saved: "Saved the policies of {{key}}",
    history: "History",
    empty: "No policies set yet",
  },
};
