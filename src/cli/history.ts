import { type Kysely, sql } from "kysely";
import {
  type CaseSource,
  type CaseType,
  type CustomerTier,
  type ParcelState,
  type PolicyCode,
  REASONS,
  type ReasonCode,
} from "../domain/catalogue.ts";
import { AppError } from "../domain/errors.ts";
import { prorate } from "../domain/money.ts";
import { addressKey } from "../domain/order.ts";
import { assessRisk } from "../domain/risk/assess.ts";
import { validateRuleSet } from "../domain/rules/definition.ts";
import { compileRuleSet } from "../domain/rules/evaluate.ts";
import { riskThresholds, timeZone } from "../flows/settings.ts";
import { loadCaseContexts } from "../store/facts.ts";
import type { DB } from "../store/schema.ts";
import { type Rng, rng, type Weights } from "./random.ts";

/**
 * `aftersales demo --history N`: a labelled synthetic after-sales history (历史售后数据) for one Tmall
 * shop — a year of customers, orders, parcels and N after-sales cases that *people* decided — so that
 * a rule set can be measured against it (`aftersales rules backtest`). It is written straight into the
 * database in bulk (5,000 rows per statement, one transaction), not through the flows: 20,000 cases
 * (~75–80k orders) take 20–27 s on PGlite. docs/history.md says the same at more length.
 *
 * Archetypes — share of the N cases; customers of a kind keep to their kind's habits:
 *
 *   ordinary             52%  most customers: 1–12 orders a year; an order comes back 50% of the time
 *                             for clothes, 40% shoes, 25% fresh food, 20% anything else — changed
 *                             mind, size, quality… mostly within days of delivery. Some changed their
 *                             mind about a product that excludes no-reason returns (fresh, customised,
 *                             no_7day_return) and 5% of buyer's-reason cases come 8–40 days after
 *                             delivery: people reject those. 6% share a flat (address) with another.
 *   vip                   8%  tier `vip`, tag `88vip`, 6–22 orders, 16% come back; approved.
 *   serial_refunder      10%  1–3 buying bursts of 20–40 days, 3 in 4 orders returned within days
 *                             (clothes and shoes, size / changed mind); once they keep 3+ refunds in
 *                             30 days people reject about half. 15% carry the merchant's tag
 *                             `high_returns`.
 *   refund_only_abuser    8%  active for 2–5 months; refund-only "not received" / "quality" /
 *                             "damaged" 3–30 minutes after the parcel was signed (half) or that night
 *                             between 00:00 and 05:00 (half), rarely with a photo. People mostly
 *                             reject. 20% carry the merchant's tag `blacklist`.
 *   ring                  7%  groups of 3–6 new accounts active for 45–120 days, sharing a device
 *                             (always), a delivery address (3 in 4 rings) and a phone (1 in 2);
 *                             pricier goods, refund-only and return claims. People reject most.
 *   quality_sku           2%  a bad batch of the kettle HS-HM-3003 sold in the last 14 days: 60% of
 *                             those orders come back with quality / damaged / not-as-described claims
 *                             (the kettle's usual claim rate is about 15%). People approve.
 *   small_amount          8%  refund-only of one unit of a ≤ ¥30 item (socks, cables, phone cases,
 *                             wipes) for quality, damage, missing or wrong item; approved.
 *   unshipped             5%  refund-only before the parcel left ("不想要了"); approved, and those
 *                             orders never ship (a rejected one ships as planned).
 *
 * Small-amount, unshipped and quality-SKU cases belong to ordinary customers. A second case on
 * another line of the same order: ordinary 4%, serial 20%, ring 10%. Parcels: ~1.5% end in a carrier
 * exception and ~0.4% return to sender; recent ones are still in transit. Hours are Asia/Shanghai:
 * ordinary cases by day, abusers' half at night.
 *
 * Who decides: each case gets exactly one human decision — `user:reviewer-<1..6>` approve or reject
 * (a reject always with a note) — drawn from DECISION_POLICY below: a first-match table over what the
 * reviewer sees (the same facts rules and risk signals see), each row with a probability of
 * rejecting that stands for judgment the data does not hold. Then NOISE (4%) of decisions are
 * flipped: people are inconsistent. `ceiling` in the summary is the expected agreement of the best
 * possible rule set over those facts (about 89.6%).
 *
 * Money and return legs are not imported: an approved case ends `closed` (submit → approve → a
 * `system:history` close), a rejected one `rejected`; there are no refund rows, orders keep
 * refunded_total 0 and the after-sales status `closed` when they had a case (what the order status
 * derivation gives terminal cases without money), `none` otherwise. Deterministic for a seed and `now`.
 */

// ---------------------------------------------------------------------------------------------------
// The archetypes and the people's decision policy — the two tables a reader should judge.

export const CASE_ARCHETYPES = {
  ordinary: 0.52,
  vip: 0.08,
  serial_refunder: 0.1,
  refund_only_abuser: 0.08,
  ring: 0.07,
  quality_sku: 0.02,
  small_amount: 0.08,
  unshipped: 0.05,
} as const;
export type CaseArchetype = keyof typeof CASE_ARCHETYPES;
const ARCHETYPE_NAMES = Object.keys(CASE_ARCHETYPES) as CaseArchetype[];

/** What a reviewer sees when deciding: the facts rules and risk signals also see. */
export interface ReviewView {
  tier: CustomerTier;
  type: CaseType;
  reason: ReasonCode;
  parcel: ParcelState;
  policies: ReadonlySet<PolicyCode>;
  daysSinceDelivery: number | null;
  hasEvidence: boolean;
  /** The requested amount, or the claimed items' value. */
  amount: number;
  /** The customer's refund_only/return_refund cases kept (not rejected) in the 30 days before. */
  refunds30: number;
  /** …and their refund-only cases opened after the parcel was signed, kept, in the 90 days before. */
  refundOnlyAfterDelivery90: number;
  /** Other accounts on the same phone or one of the same devices (the larger). */
  sharedAccounts: number;
}

export interface PolicyRow {
  id: string;
  when: string;
  test: (v: ReviewView) => boolean;
  /** How often people reject such a case. */
  pReject: number;
  /** The note a rejection carries (rejections need one). */
  note: string;
}

const NO_REASON = new Set<ReasonCode>(["changed_mind", "size_fit"]);
const NO_REASON_EXCLUDED: readonly PolicyCode[] = ["no_7day_return", "customised", "fresh"];
const fault = (r: ReasonCode) => REASONS[r].fault;

/** The reviewers' policy (审核口径). First matching row wins. */
export const DECISION_POLICY: readonly PolicyRow[] = [
  {
    id: "vip",
    when: "customer tier is vip",
    test: (v) => v.tier === "vip",
    pReject: 0.02,
    note: "经核实不符合售后条件",
  },
  {
    id: "unshipped_refund_only",
    when: "refund-only before the parcel was shipped",
    test: (v) => v.type === "refund_only" && v.parcel === "unshipped",
    pReject: 0.01,
    note: "订单已安排发货，请收货后再申请",
  },
  {
    id: "no_reason_excluded",
    when: "changed mind / size on a product marked no_7day_return, customised or fresh",
    test: (v) => NO_REASON.has(v.reason) && NO_REASON_EXCLUDED.some((p) => v.policies.has(p)),
    pReject: 0.95,
    note: "该商品不支持七天无理由退换货",
  },
  {
    id: "past_7_days",
    when: "buyer's reason (changed mind, size, other) more than 7 days after delivery",
    test: (v) => fault(v.reason) === "buyer" && (v.daysSinceDelivery ?? 0) > 7,
    pReject: 0.9,
    note: "已超过签收后七天的无理由退货期限",
  },
  {
    id: "not_received_but_signed",
    when: "refund-only 'not received' while the parcel shows signed",
    test: (v) => v.type === "refund_only" && v.reason === "not_received" && v.parcel === "signed",
    pReject: 0.9,
    note: "物流显示包裹已签收，未收到货的说法与物流信息不符",
  },
  {
    id: "repeat_refund_only",
    when: "refund-only after signing, seller's fault claimed without evidence, 2+ such kept in 90 days",
    test: (v) =>
      v.type === "refund_only" &&
      v.parcel === "signed" &&
      fault(v.reason) === "seller" &&
      !v.hasEvidence &&
      v.refundOnlyAfterDelivery90 >= 2,
    pReject: 0.85,
    note: "近 90 天多次签收后申请仅退款，且未提供任何凭证",
  },
  {
    id: "shared_identity",
    when: "the account shares its phone or a device with 2+ other accounts",
    test: (v) => v.sharedAccounts >= 2,
    pReject: 0.7,
    note: "多个账号共用手机号或设备下单退款，疑似恶意退款",
  },
  {
    id: "frequent_refunds",
    when: "3+ refunds kept in the last 30 days",
    test: (v) => v.refunds30 >= 3,
    pReject: 0.55,
    note: "近 30 天退款过于频繁，本次不予支持",
  },
  {
    id: "small_amount",
    when: "amount ≤ ¥30",
    test: (v) => v.amount <= 3000,
    pReject: 0.01,
    note: "经核实不符合售后条件",
  },
  {
    id: "parcel_problem",
    when: "lost or delayed parcel, or not received while the parcel is not signed for",
    test: (v) => fault(v.reason) === "carrier" || (v.reason === "not_received" && v.parcel !== "signed"),
    pReject: 0.02,
    note: "物流已恢复派送，请耐心等待",
  },
  {
    id: "seller_fault_with_evidence",
    when: "seller's fault claimed with photos or video",
    test: (v) => fault(v.reason) === "seller" && v.hasEvidence,
    pReject: 0.03,
    note: "凭证无法证明商品存在问题",
  },
  {
    id: "seller_fault_without_evidence",
    when: "seller's fault claimed without evidence",
    test: (v) => fault(v.reason) === "seller",
    pReject: 0.1,
    note: "未提供商品问题的照片或视频凭证",
  },
  {
    id: "default",
    when: "anything else (changed mind or size within the window…)",
    test: () => true,
    pReject: 0.03,
    note: "商品已使用，影响二次销售",
  },
];

/** Share of decisions turned around: two reviewers need not agree on the same case. */
export const NOISE = 0.04;
const NOISE_REJECT_NOTES = ["凭证不清晰，无法判断商品问题", "与聊天记录中的描述不一致", "商品已影响二次销售"];

export function reviewRow(v: ReviewView): PolicyRow {
  return DECISION_POLICY.find((row) => row.test(v)) as PolicyRow;
}

// ---------------------------------------------------------------------------------------------------
// Customers: how each kind shops and claims.

type CustomerKind = "ordinary" | "vip" | "serial" | "abuser" | "ring";

interface KindProfile {
  archetype: CaseArchetype;
  orders: readonly [number, number];
  caseRate: number;
  secondCase: number;
  credit: readonly [number, number];
  /** Category popularity multipliers for this kind. */
  taste: Readonly<Record<string, number>>;
}

const KINDS: Record<CustomerKind, KindProfile> = {
  ordinary: {
    archetype: "ordinary",
    orders: [1, 12],
    caseRate: 0.2, // other categories; see ORDINARY_CLAIM_RATE
    secondCase: 0.04,
    credit: [550, 800],
    taste: {},
  },
  vip: {
    archetype: "vip",
    orders: [6, 22],
    caseRate: 0.16,
    secondCase: 0.04,
    credit: [720, 950],
    taste: { digital: 1.6, beauty: 1.4, imported: 1.6 },
  },
  serial: {
    archetype: "serial_refunder",
    orders: [10, 26],
    caseRate: 0.75,
    secondCase: 0.2,
    credit: [450, 700],
    taste: { apparel: 3, shoes: 3 },
  },
  abuser: {
    archetype: "refund_only_abuser",
    orders: [5, 16],
    caseRate: 0.6,
    secondCase: 0,
    credit: [350, 620],
    taste: { beauty: 2.5, fresh_produce: 2, digital: 1.5, custom_made: 0.2 },
  },
  ring: {
    archetype: "ring",
    orders: [3, 8],
    caseRate: 0.65,
    secondCase: 0.1,
    credit: [380, 600],
    taste: { digital: 4, beauty: 2.5, imported: 2, fresh_produce: 0.3, custom_made: 0.1 },
  },
};

/** How often an ordinary customer's order comes back, by its most returned category. */
const ORDINARY_CLAIM_RATE: Readonly<Record<string, number>> = {
  apparel: 0.5,
  shoes: 0.4,
  fresh_produce: 0.25,
};

// ---------------------------------------------------------------------------------------------------
// The shop's catalogue and its after-sales policies.

interface Product {
  sku: string;
  title: string;
  category: string;
  price: number; // 分
  weight: number;
}

export const QUALITY_SKU = "HS-HM-3003";
/** Share of the bad batch's orders that come back (other SKUs: see ORDINARY_CLAIM_RATE). */
const BAD_BATCH_CLAIM_RATE = 0.6;
const SMALL_LIMIT = 3000;

/** SKU | title | category | price (分) | popularity */
const CATALOGUE: readonly Product[] = `
HS-AP-1001 | 纯棉圆领短袖T恤           | apparel       |  7900 | 10
HS-AP-1002 | 商务免烫长袖衬衫          | apparel       | 15900 | 6
HS-AP-1003 | 高腰直筒牛仔裤            | apparel       | 19900 | 7
HS-AP-1004 | 法式碎花连衣裙            | apparel       | 26900 | 6
HS-AP-1005 | 轻薄连帽羽绒服            | apparel       | 59900 | 4
HS-AP-1006 | 女士无痕内衣套装          | apparel       |  8900 | 4
HS-AP-1007 | 纯棉中筒袜 5双装          | apparel       |  1990 | 6
HS-SH-1101 | 透气网面跑步鞋            | shoes         | 39900 | 5
HS-SH-1102 | 经典帆布鞋                | shoes         | 12900 | 4
HS-DG-2001 | 主动降噪蓝牙耳机          | digital       | 29900 | 5
HS-DG-2002 | 20000mAh 快充移动电源     | digital       | 12900 | 5
HS-DG-2003 | 智能手表 GT 运动版        | digital       | 89900 | 3
HS-DG-2004 | Type-C 快充数据线 1m      | digital       |  1990 | 7
HS-DG-2005 | 磁吸防摔手机壳            | digital       |  2900 | 6
HS-HM-3001 | 316不锈钢保温杯 500ml     | home          |  8900 | 6
HS-HM-3002 | 60支长绒棉四件套 1.8m     | home          | 39900 | 3
HS-HM-3003 | 304不锈钢电热水壶 1.7L    | home          | 15900 | 5
HS-HM-3004 | 慢回弹记忆棉护颈枕        | home          | 16900 | 3
HS-HM-3005 | 厨房湿巾 80抽×3包         | home          |  1290 | 5
HS-BT-4001 | 玻尿酸补水精华 30ml       | beauty        | 23900 | 5
HS-BT-4002 | 氨基酸洗面奶 120g         | beauty        |  6900 | 6
HS-BT-4003 | 丝绒哑光口红 #316         | beauty        | 16900 | 4
HS-BT-4004 | 积雪草修护面膜 10片       | beauty        |  9900 | 5
HS-FR-5001 | 智利车厘子 JJ级 2.5kg     | fresh_produce | 26800 | 4
HS-FR-5002 | 丹东99草莓 3斤装          | fresh_produce |  8900 | 4
HS-FR-5003 | 挪威冰鲜三文鱼中段 500g   | fresh_produce | 13900 | 3
HS-FR-5004 | 澳洲谷饲原切牛排 10片     | fresh_produce | 19900 | 3
HS-CU-6001 | 定制刻字保温杯            | custom_made   | 12900 | 2
HS-CU-6002 | 定制照片台历              | custom_made   |  6900 | 2
HS-CU-6003 | 定制印花T恤               | custom_made   |  9900 | 2
HS-CB-7001 | 日本进口防晒乳 SPF50+     | imported      | 14900 | 3
HS-CB-7002 | 韩国进口水光面膜 10片     | imported      | 12900 | 3
HS-CB-7003 | 澳洲进口复合维生素 90粒   | imported      | 19900 | 2
`
  .trim()
  .split("\n")
  .map((row) => {
    const [sku = "", title = "", category = "", price = "0", weight = "1"] = row
      .split("|")
      .map((c) => c.trim());
    return { sku, title, category, price: Number(price), weight: Number(weight) };
  });

/** After-sales policies the generator sets (existing ones for the same keys are left alone). */
export const HISTORY_POLICIES: readonly { kind: "sku" | "category"; key: string; policies: PolicyCode[] }[] =
  [
    { kind: "category", key: "fresh_produce", policies: ["fresh"] },
    { kind: "category", key: "custom_made", policies: ["customised"] },
    { kind: "category", key: "imported", policies: ["cross_border"] },
    { kind: "sku", key: "HS-AP-1006", policies: ["no_7day_return"] }, // underwear (贴身衣物)
    { kind: "sku", key: "HS-DG-2001", policies: ["no_7day_return"] }, // in-ear, once unsealed
    { kind: "sku", key: "HS-CB-7003", policies: ["no_7day_return"] }, // supplements
  ];

const policiesOf = (p: Product): PolicyCode[] =>
  HISTORY_POLICIES.filter((x) => (x.kind === "sku" ? x.key === p.sku : x.key === p.category)).flatMap(
    (x) => x.policies,
  );

// ---------------------------------------------------------------------------------------------------
// Time.

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Hours are Asia/Shanghai (UTC+8, no daylight saving), the installation's default time zone. */
const TZ_OFFSET = 8 * HOUR;
const localDayStart = (t: number) => Math.floor((t + TZ_OFFSET) / DAY) * DAY - TZ_OFFSET;

/** Relative weights of local hours 0–23. */
const ORDER_HOURS = [
  3, 1.5, 0.8, 0.4, 0.3, 0.3, 0.6, 1.5, 3, 4.5, 5.5, 5.5, 5, 4.5, 5, 5, 4.5, 4.5, 5, 6, 7.5, 8.5, 8.5, 6,
];
const CASE_HOURS = [2, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 8, 5];
const NIGHT_HOURS = [6, 8, 8, 7, 5, 2, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4];
const COURIER_HOURS = [0, 0, 0, 0, 0, 0, 0, 0.5, 2, 5, 7, 7, 5, 5, 6, 6, 6, 5, 4, 3, 2, 1, 0, 0];
const hourTable = (w: readonly number[]) => w.map((x, h) => [h, x] as const);
const HOURS = {
  order: hourTable(ORDER_HOURS),
  case: hourTable(CASE_HOURS),
  night: hourTable(NIGHT_HOURS),
  courier: hourTable(COURIER_HOURS),
};

/** A moment at a drawn local hour on the day of `t`, moved a day on until it is after `after`. */
function atHour(r: Rng, t: number, hours: readonly (readonly [number, number])[], after: number): number {
  let day = localDayStart(t);
  for (let i = 0; i < 4; i++, day += DAY) {
    const x = day + r.weighted(hours) * HOUR + Math.floor(r.next() * HOUR);
    if (x > after) return x;
  }
  return after + r.between(5 * MINUTE, 2 * HOUR);
}

// ---------------------------------------------------------------------------------------------------
// The plan, built in memory before anything is written.

interface Customer {
  kind: CustomerKind;
  n: number; // creation order
  id: string;
  name: string;
  phone: string;
  tier: CustomerTier;
  credit: number | null;
  tags: string[];
  createdAt: number;
  address: string;
  devices: string[];
  ring: Ring | undefined;
  orders: Order[];
}

interface Ring {
  device: string;
  address: string | undefined;
  phone: string | undefined;
}

interface Line {
  lineNo: number;
  product: Product;
  quantity: number;
  unitPrice: number;
  lineDiscount: number;
  orderDiscount: number;
  paid: number;
  id: number;
}

interface Shipment {
  carrier: string;
  trackingNo: string;
  status: "in_transit" | "delivered" | "exception" | "returned_to_sender";
  shippedAt: number;
  signedAt: number | null;
  /** When it is (or would have been) signed for; the eta of a parcel still on its way. */
  plannedSigned: number;
}

interface Order {
  customer: Customer;
  placedAt: number;
  paidAt: number;
  lines: Line[];
  discountTotal: number;
  shippingFee: number;
  paidTotal: number;
  addressKey: string;
  deviceId: string | null;
  ship: Shipment | null;
  cases: Case[];
  id: number;
  externalId: string;
}

interface Case {
  archetype: CaseArchetype;
  order: Order;
  type: CaseType;
  reason: ReasonCode;
  source: CaseSource;
  items: { line: Line; quantity: number }[];
  createdAt: number;
  evidence: number;
  requested: number | null;
  description: string;
  decision: Decision | undefined;
  id: number;
  externalId: string;
}

interface Decision {
  action: "approve" | "reject";
  row: PolicyRow;
  flipped: boolean;
  note: string | null;
  reviewer: string;
  at: number;
  closedAt: number | null;
  /** The chance the likelier answer is the people's: what the best rule could hope for here. */
  best: number;
}

const SURNAMES = [
  ..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史",
];
const GIVEN =
  "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 子涵 浩然 梓萱 一诺 欣怡 宇轩 思远 佳怡 雨桐 俊杰 晓东 婷婷 文博 雅琪 嘉怡 志强 海燕 建华 晨曦 若曦 梦瑶".split(
    " ",
  );
const MOBILE_PREFIXES =
  "130 131 135 136 137 138 139 150 151 155 158 159 176 177 180 182 186 187 188 189 199".split(" ");
const CITIES = [
  "浙江省杭州市西湖区文三路",
  "浙江省杭州市余杭区五常大道",
  "上海市浦东新区张杨路",
  "上海市闵行区七莘路",
  "北京市朝阳区望京街",
  "北京市海淀区中关村大街",
  "广东省深圳市南山区科技园路",
  "广东省广州市天河区体育西路",
  "江苏省南京市鼓楼区中山北路",
  "江苏省苏州市工业园区星湖街",
  "四川省成都市高新区天府大道",
  "湖北省武汉市洪山区珞喻路",
  "陕西省西安市雁塔区科技路",
  "山东省青岛市市南区香港中路",
  "福建省厦门市思明区湖滨南路",
  "湖南省长沙市岳麓区麓山南路",
];
const CARRIERS: Weights<string> = { SF: 30, ZTO: 25, YTO: 20, YUNDA: 15, EMS: 5 };
const SOURCES: Weights<CaseSource> = { platform: 85, chat: 12, phone: 3 };

const DESCRIPTIONS: Record<ReasonCode, readonly string[]> = {
  changed_mind: ["不想要了", "拍多了，退一件", "家里已经有了", "买错了款式"],
  quality: ["用了两天就坏了", "做工粗糙，有明显瑕疵", "开线了", "质量和价格不符"],
  wrong_item: ["发错颜色了", "收到的不是我买的款", "规格发错了"],
  damaged: ["收到时外包装破损，商品有磕碰", "快递压坏了", "收到就是碎的"],
  not_as_described: ["实物和图片差别很大", "材质与描述不符", "色差严重"],
  missing_item: ["少发了一件", "配件没有", "赠品没收到"],
  not_received: ["没有收到货", "显示签收但我没收到", "快递说放驿站了，没找到"],
  logistics_lost: ["物流好几天没更新了，应该是丢件了", "快递说包裹丢了"],
  logistics_delay: ["一直没送到", "物流太慢了，不想等了"],
  spoiled: ["收到已经坏了", "有异味，不新鲜", "解冻了，有臭味"],
  size_fit: ["尺码偏小", "尺码偏大，换小一码", "穿着不合适"],
  other: ["其他原因", "和客服沟通过了"],
};

const WEARABLE_REASONS: Weights<ReasonCode> = {
  size_fit: 35,
  changed_mind: 30,
  quality: 15,
  not_as_described: 10,
  wrong_item: 4,
  damaged: 2,
  missing_item: 2,
  other: 2,
};

const DEFAULT_REASONS: Weights<ReasonCode> = {
  changed_mind: 35,
  quality: 25,
  damaged: 10,
  not_as_described: 12,
  wrong_item: 6,
  missing_item: 6,
  other: 6,
};
const REASONS_BY_CATEGORY: Readonly<Record<string, Weights<ReasonCode>>> = {
  apparel: WEARABLE_REASONS,
  shoes: WEARABLE_REASONS,
  fresh_produce: { spoiled: 40, damaged: 20, quality: 15, changed_mind: 10, missing_item: 8, other: 7 },
  custom_made: { changed_mind: 30, quality: 30, not_as_described: 25, damaged: 15 },
};

const SERIAL_REASONS: Weights<ReasonCode> = {
  size_fit: 35,
  changed_mind: 35,
  not_as_described: 15,
  quality: 15,
};

const TYPES_BY_REASON: Record<ReasonCode, Weights<CaseType>> = {
  changed_mind: { return_refund: 85, refund_only: 10, exchange: 5 },
  size_fit: { exchange: 45, return_refund: 55 },
  quality: { return_refund: 45, refund_only: 30, exchange: 25 },
  not_as_described: { return_refund: 70, refund_only: 30 },
  damaged: { refund_only: 40, reship: 30, return_refund: 30 },
  wrong_item: { exchange: 50, return_refund: 50 },
  missing_item: { reship: 60, refund_only: 40 },
  spoiled: { refund_only: 80, reship: 20 },
  other: { return_refund: 60, refund_only: 40 },
  logistics_delay: { refund_only: 1 },
  logistics_lost: { refund_only: 60, reship: 40 },
  not_received: { refund_only: 70, reship: 30 },
};

const MONEY_TYPES: readonly CaseType[] = ["refund_only", "return_refund"];
/** Reasons a customer can back with photos. */
const PHOTO_REASONS: ReadonlySet<ReasonCode> = new Set([
  "quality",
  "damaged",
  "wrong_item",
  "not_as_described",
  "missing_item",
  "spoiled",
]);

class Planner {
  readonly r: Rng;
  readonly now: number;
  readonly start: number;
  readonly latest: number; // no case is opened later than this
  readonly promos: [number, number][];
  readonly customers: Customer[] = [];
  readonly cases: Case[] = [];
  readonly made: Record<CaseArchetype, number>;
  readonly quota: Record<CaseArchetype, number>;
  readonly byTaste = new Map<CustomerKind, (readonly [Product, number])[]>();
  readonly kettle = CATALOGUE.find((p) => p.sku === QUALITY_SKU) as Product;
  seq = 0;

  constructor(seed: number, now: number, total: number) {
    this.r = rng(seed);
    this.now = now;
    this.start = now - 365 * DAY;
    this.latest = now - HOUR;
    const quota = Object.fromEntries(
      ARCHETYPE_NAMES.map((a) => [a, Math.floor(CASE_ARCHETYPES[a] * total)]),
    ) as Record<CaseArchetype, number>;
    quota.ordinary += total - ARCHETYPE_NAMES.reduce((a, k) => a + quota[k], 0);
    this.quota = quota;
    this.made = Object.fromEntries(ARCHETYPE_NAMES.map((a) => [a, 0])) as Record<CaseArchetype, number>;
    for (const kind of Object.keys(KINDS) as CustomerKind[]) {
      const taste = KINDS[kind].taste;
      this.byTaste.set(
        kind,
        // Abusers and rings go for goods worth the trouble, not ¥20 cables.
        CATALOGUE.map((p) => {
          const cheap = (kind === "abuser" || kind === "ring") && p.price <= SMALL_LIMIT;
          return [p, cheap ? 0 : p.weight * (taste[p.category] ?? 1)] as const;
        }),
      );
    }
    // Double 11 and 618 (双十一、六一八): the year's two sales peaks.
    const y = new Date(now + TZ_OFFSET).getUTCFullYear();
    this.promos = [y, y - 1]
      .flatMap((year) => [
        [Date.UTC(year, 10, 1), Date.UTC(year, 10, 12)],
        [Date.UTC(year, 5, 1), Date.UTC(year, 5, 19)],
      ])
      .map(([a, b]) => [(a as number) - TZ_OFFSET, (b as number) - TZ_OFFSET] as [number, number]);
  }

  left(a: CaseArchetype) {
    return this.quota[a] - this.made[a];
  }

  // ------------------------------------------------------------------ customers

  customer(kind: CustomerKind, firstOrder: number, ring?: Ring): Customer {
    const r = this.r;
    const n = this.customers.length;
    const p = KINDS[kind];
    // Phones are unique (index-derived suffix) unless a ring shares one.
    const own = `${r.pick(MOBILE_PREFIXES)}${String((n * 48_271 + 12_345_679) % 100_000_000).padStart(8, "0")}`;
    const tags: string[] = [];
    if (kind === "vip") tags.push("88vip");
    if (kind === "serial" && r.chance(0.15)) tags.push("high_returns");
    if (kind === "abuser" && r.chance(0.2)) tags.push("blacklist");
    const household = kind === "ordinary" && n > 0 && r.chance(0.06) ? this.customers[n - 1] : undefined;
    const c: Customer = {
      kind,
      n,
      id: "",
      name: `${r.pick(SURNAMES)}${r.pick(GIVEN)}`,
      phone: ring?.phone ?? own,
      tier: kind === "vip" ? "vip" : "normal",
      credit: kind === "ordinary" && r.chance(0.05) ? null : r.int(p.credit[0], p.credit[1]),
      tags,
      createdAt:
        kind === "ring" ? firstOrder - r.between(0.2, 10) * DAY : firstOrder - r.between(1, 4 * 365) * DAY,
      // A household shares an address (two accounts, one flat): below any ring's threshold.
      address:
        household?.kind === "ordinary"
          ? household.address
          : `${r.pick(CITIES)}${r.int(1, 999)}号${r.int(1, 30)}幢${n}室`,
      devices: Array.from(
        { length: r.chance(0.3) ? 2 : 1 },
        (_, i) => `dev-${n.toString(36)}-${i}${r.digits(6)}`,
      ),
      ring,
      orders: [],
    };
    this.customers.push(c);
    return c;
  }

  // ------------------------------------------------------------------ orders

  paidTime(from: number, to: number): number {
    const r = this.r;
    const promo = this.promos
      .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as const)
      .filter(([a, b]) => b > a);
    const t =
      promo.length > 0 && r.chance(0.15)
        ? ((w) => r.between(w[0], w[1]))(r.pick(promo))
        : r.between(from, to);
    const x = localDayStart(t) + r.weighted(HOURS.order) * HOUR + Math.floor(r.next() * HOUR);
    return x >= from && x <= to ? x : t;
  }

  order(c: Customer, paidAt: number, products?: readonly Product[]): Order {
    const r = this.r;
    let chosen: Product[];
    if (products) chosen = [...products];
    else {
      const n = Number(r.among({ 1: 65, 2: 25, 3: 10 }));
      const table = this.byTaste.get(c.kind) ?? [];
      chosen = [];
      for (let i = 0; i < n * 3 && chosen.length < n; i++) {
        const p = r.weighted(table);
        if (!chosen.includes(p)) chosen.push(p);
      }
    }
    const lines: Line[] = chosen.map((p, i) => {
      const quantity =
        p.price <= SMALL_LIMIT
          ? Number(r.among({ 1: 50, 2: 35, 3: 15 }))
          : Number(r.among({ 1: 88, 2: 10, 3: 2 }));
      const gross = p.price * quantity;
      const lineDiscount = r.chance(0.25) ? Math.round((gross * r.between(0.05, 0.2)) / 100) * 100 : 0;
      return {
        lineNo: i + 1,
        product: p,
        quantity,
        unitPrice: p.price,
        lineDiscount,
        orderDiscount: 0,
        paid: gross - lineDiscount,
        id: 0,
      };
    });
    const goods = lines.reduce((a, l) => a + l.paid, 0);
    // Store coupons (满减): ¥30 off ¥299, ¥20 off ¥199, ¥10 off ¥99.
    const coupon =
      goods >= 29_900 && r.chance(0.35)
        ? 3000
        : goods >= 19_900 && r.chance(0.35)
          ? 2000
          : goods >= 9_900 && r.chance(0.2)
            ? 1000
            : 0;
    if (coupon > 0) {
      const shares = prorate(
        coupon,
        lines.map((l) => l.paid),
      );
      lines.forEach((l, i) => {
        l.orderDiscount = shares[i] ?? 0;
        l.paid -= l.orderDiscount;
      });
    }
    const shippingFee = goods < 2900 && r.chance(0.5) ? 500 : 0;
    const ring = c.ring;
    const deviceId =
      ring && r.chance(0.85)
        ? ring.device
        : c.kind === "ordinary" && r.chance(0.08)
          ? null
          : r.pick(c.devices);
    const address = ring?.address && r.chance(0.9) ? ring.address : c.address;
    const o: Order = {
      customer: c,
      placedAt: paidAt - r.between(0.2, 15) * MINUTE,
      paidAt,
      lines,
      discountTotal: coupon,
      shippingFee,
      paidTotal: lines.reduce((a, l) => a + l.paid, 0) + shippingFee,
      addressKey: addressKey(address),
      deviceId,
      ship: this.shipment(lines, paidAt),
      cases: [],
      id: 0,
      externalId: "",
    };
    c.orders.push(o);
    return o;
  }

  shipment(lines: readonly Line[], paidAt: number): Shipment | null {
    const r = this.r;
    const cats = new Set(lines.map((l) => l.product.category));
    const fresh = cats.has("fresh_produce");
    const imported = cats.has("imported");
    const shippedAt =
      paidAt + (fresh ? r.between(3, 20) : imported ? r.between(24, 72) : r.between(6, 48)) * HOUR;
    if (shippedAt > this.now) return null;
    const transit = (fresh ? r.between(0.6, 1.5) : imported ? r.between(4, 10) : r.between(1, 4)) * DAY;
    const plannedSigned = atHour(r, shippedAt + transit, HOURS.courier, shippedAt + 6 * HOUR);
    const carrier = imported ? "CAINIAO" : fresh ? "SF" : r.among(CARRIERS);
    const seq = String(++this.seq).padStart(8, "0");
    const trackingNo =
      carrier === "SF"
        ? `SF${r.digits(5)}${seq}`
        : carrier === "CAINIAO"
          ? `LP${r.digits(6)}${seq}`
          : carrier === "EMS"
            ? `E${r.digits(4)}${seq}CN`
            : `${carrier === "YTO" ? "YT" : carrier === "ZTO" ? "7" : "43"}${r.digits(5)}${seq}`;
    const roll = r.next();
    const status: Shipment["status"] =
      roll < 0.015
        ? "exception"
        : roll < 0.019
          ? "returned_to_sender"
          : plannedSigned <= this.now
            ? "delivered"
            : "in_transit";
    return {
      carrier,
      trackingNo,
      status,
      shippedAt,
      signedAt: status === "delivered" ? plannedSigned : null,
      plannedSigned,
    };
  }

  // ------------------------------------------------------------------ cases

  /** Open a case on `o` for `archetype`, or say it does not fit this order (null). */
  case(archetype: CaseArchetype, o: Order, after?: Case): Case | null {
    const r = this.r;
    const taken = new Set(o.cases.flatMap((c) => c.items.map((i) => i.line)));
    const free = o.lines.filter((l) => !taken.has(l));
    if (free.length === 0) return null;
    const ship = o.ship;
    const signed = ship?.signedAt ?? null;
    const kind = o.customer.kind;
    let line: Line = r.pick(free);
    let reason: ReasonCode;
    let type: CaseType | undefined;
    let createdAt: number;
    let photos = 0.7;
    const delivered = (lo: number, hi: number, hours = HOURS.case) =>
      signed === null ? Number.NaN : atHour(r, signed + r.between(lo, hi) * DAY, hours, signed + 10 * MINUTE);

    switch (archetype) {
      case "unshipped": {
        reason = r.chance(0.7) ? "changed_mind" : "other";
        type = "refund_only";
        const shipBy = ship ? ship.shippedAt : this.latest;
        createdAt = o.paidAt + (0.02 + 0.9 * r.next() ** 2) * Math.min(shipBy - o.paidAt, 30 * HOUR);
        break;
      }
      case "small_amount": {
        const small = free.find((l) => l.product.price <= SMALL_LIMIT);
        if (!small) return null;
        line = small;
        reason = r.among({ quality: 40, damaged: 25, missing_item: 15, wrong_item: 20 });
        type = "refund_only";
        photos = 0.4;
        createdAt = delivered(0.1, 5);
        break;
      }
      case "quality_sku": {
        const kettle = free.find((l) => l.product.sku === QUALITY_SKU);
        if (!kettle) return null;
        line = kettle;
        reason = r.among({ quality: 70, damaged: 20, not_as_described: 10 });
        type = r.among({ return_refund: 45, exchange: 25, refund_only: 30 });
        photos = 0.85;
        createdAt = delivered(0.1, 3);
        // The batch is recent: a claim not due yet comes in before now all the same.
        if (signed !== null && createdAt > this.latest)
          createdAt = signed + r.between(0.1, 0.9) * (this.latest - signed);
        break;
      }
      case "refund_only_abuser": {
        reason =
          line.product.category === "fresh_produce" && r.chance(0.3)
            ? "spoiled"
            : r.among({ not_received: 45, quality: 40, damaged: 15 });
        type = "refund_only";
        photos = 0.15;
        if (signed === null) return null;
        if (r.chance(0.5)) createdAt = signed + r.between(3, 30) * MINUTE;
        else {
          // The night after the parcel was signed for.
          const night = localDayStart(signed) + DAY;
          createdAt = night + r.between(0.2, 5) * HOUR;
        }
        break;
      }
      case "ring": {
        reason = r.among({ not_received: 30, quality: 30, not_as_described: 20, damaged: 20 });
        type = reason === "not_received" ? "refund_only" : r.chance(0.6) ? "refund_only" : "return_refund";
        photos = 0.3;
        createdAt = delivered(0.03, 2, r.chance(0.3) ? HOURS.night : HOURS.case);
        break;
      }
      default: {
        // ordinary, vip and serial refunders: mostly after delivery; some while the parcel is on its way.
        if (ship && (ship.status === "exception" || ship.status === "returned_to_sender")) {
          reason = ship.status === "exception" ? "logistics_lost" : "not_received";
          createdAt = atHour(r, ship.shippedAt + r.between(3, 8) * DAY, HOURS.case, ship.shippedAt + 2 * DAY);
        } else if (ship && archetype !== "serial_refunder" && r.chance(0.06)) {
          reason = r.chance(0.6) ? "logistics_delay" : "not_received";
          type = "refund_only";
          createdAt = ship.shippedAt + r.between(0.5, 0.95) * (ship.plannedSigned - ship.shippedAt);
        } else {
          reason =
            archetype === "serial_refunder"
              ? r.among(SERIAL_REASONS)
              : r.among(REASONS_BY_CATEGORY[line.product.category] ?? DEFAULT_REASONS);
          const late = fault(reason) === "buyer" && archetype !== "serial_refunder" && r.chance(0.05);
          const slow = !late && fault(reason) === "seller" && r.chance(0.07);
          createdAt = late ? delivered(8, 40) : slow ? delivered(6.5, 15) : delivered(0.1, 5.5);
        }
      }
    }
    if (after) createdAt = Math.max(createdAt, after.createdAt + r.between(0.5, 3) * DAY);
    if (!Number.isFinite(createdAt) || createdAt > this.latest || createdAt <= o.paidAt) return null;
    type ??= r.among(TYPES_BY_REASON[reason]);
    // Goods must have left before they can come back.
    if ((type === "return_refund" || type === "exchange") && !(ship && ship.shippedAt < createdAt)) {
      type = "refund_only";
    }
    const quantity =
      archetype === "small_amount"
        ? 1
        : line.quantity > 1 && r.chance(0.35)
          ? r.int(1, line.quantity - 1)
          : line.quantity;
    const items = [{ line, quantity }];
    // Ordinary multi-line refunds sometimes claim the whole order.
    if (archetype === "ordinary" && free.length > 1 && r.chance(0.15) && type === "refund_only") {
      for (const l of free) if (l !== line) items.push({ line: l, quantity: l.quantity });
    }
    const claimed = items.reduce((a, i) => a + Math.floor((i.line.paid * i.quantity) / i.line.quantity), 0);
    let requested: number | null = null;
    if (MONEY_TYPES.includes(type)) {
      requested =
        type === "refund_only" && reason === "quality" && r.chance(0.25)
          ? Math.max(100, Math.round((claimed * r.between(0.2, 0.5)) / 100) * 100)
          : claimed;
      requested = Math.min(requested, claimed);
      if (archetype === "small_amount" && requested > SMALL_LIMIT) return null;
    }
    const c: Case = {
      archetype,
      order: o,
      type,
      reason,
      source: kind === "ordinary" || kind === "vip" ? r.among(SOURCES) : "platform",
      items,
      createdAt: Math.floor(createdAt),
      evidence: PHOTO_REASONS.has(reason) && r.chance(photos) ? r.int(1, 3) : 0,
      requested,
      description: r.pick(DESCRIPTIONS[reason]),
      decision: undefined,
      id: 0,
      externalId: "",
    };
    o.cases.push(c);
    this.cases.push(c);
    this.made[archetype]++;
    return c;
  }

  /** After a case, sometimes a second one on another line of the same order. */
  maybeSecond(first: Case) {
    const k = KINDS[first.order.customer.kind];
    if (this.left(first.archetype) > 0 && first.order.lines.length > 1 && this.r.chance(k.secondCase)) {
      this.case(first.archetype, first.order, first);
    }
  }

  // ------------------------------------------------------------------ archetypes

  /** Customers of a kind whose cases are all their own archetype (vip, serial, abuser). */
  plainKind(kind: CustomerKind, span: () => [number, number][]) {
    const r = this.r;
    const p = KINDS[kind];
    while (this.left(p.archetype) > 0) {
      const windows = span();
      const first = windows[0]?.[0] ?? this.start;
      const c = this.customer(kind, first);
      const count = r.int(p.orders[0], p.orders[1]);
      const times = Array.from({ length: count }, (_, i) => {
        const [a, b] = windows[i % windows.length] as [number, number];
        return this.paidTime(a, b);
      }).sort((a, b) => a - b);
      for (const t of times) {
        const o = this.order(c, t);
        if (this.left(p.archetype) > 0 && r.chance(p.caseRate)) {
          const made = this.case(p.archetype, o);
          if (made) this.maybeSecond(made);
        }
      }
    }
  }

  rings() {
    const r = this.r;
    const p = KINDS.ring;
    while (this.left("ring") > 0) {
      const size = r.int(3, 6);
      const from = r.between(this.start, this.now - 30 * DAY);
      const to = Math.min(this.now - DAY, from + r.between(45, 120) * DAY);
      const ring: Ring = {
        device: `dev-ring-${this.customers.length.toString(36)}${r.digits(6)}`,
        address: r.chance(0.75)
          ? `${r.pick(CITIES)}${r.int(1, 999)}号${r.int(1, 30)}幢${r.int(101, 2999)}室`
          : undefined,
        phone: r.chance(0.5)
          ? `${r.pick(MOBILE_PREFIXES)}${String((this.customers.length * 48_271 + 12_345_679) % 100_000_000).padStart(8, "0")}`
          : undefined,
      };
      for (let k = 0; k < size; k++) {
        const c = this.customer("ring", from, ring);
        const times = Array.from({ length: r.int(p.orders[0], p.orders[1]) }, () =>
          this.paidTime(from, to),
        ).sort((a, b) => a - b);
        for (const t of times) {
          const o = this.order(c, t);
          if (this.left("ring") > 0 && r.chance(p.caseRate)) {
            const made = this.case("ring", o);
            if (made) this.maybeSecond(made);
          }
        }
      }
    }
  }

  /** Ordinary customers carry the ordinary, small-amount and unshipped cases. */
  ordinary() {
    const r = this.r;
    const p = KINDS.ordinary;
    const tickets = r.shuffle([
      ...Array.from({ length: this.quota.ordinary }, () => "ordinary" as const),
      ...Array.from({ length: this.quota.small_amount }, () => "small_amount" as const),
      ...Array.from({ length: this.quota.unshipped }, () => "unshipped" as const),
    ]);
    const pending = (a: CaseArchetype) => this.left(a) > 0;
    while (tickets.length > 0) {
      const c = this.customer("ordinary", this.start);
      const count = Math.min(p.orders[1], 1 + Math.floor(-Math.log(1 - r.next()) * 3));
      const times = Array.from({ length: count }, () => this.paidTime(this.start, this.now - 2 * HOUR)).sort(
        (a, b) => a - b,
      );
      c.createdAt = (times[0] as number) - r.between(1, 4 * 365) * DAY;
      for (const t of times) {
        while (tickets.length > 0 && !pending(tickets[tickets.length - 1] as CaseArchetype)) tickets.pop();
        const o = this.order(c, t);
        // Clothes come back far more often than kettles: the order's most returned category decides.
        const claim = Math.max(...o.lines.map((l) => ORDINARY_CLAIM_RATE[l.product.category] ?? p.caseRate));
        const ticket = tickets[tickets.length - 1];
        if (!ticket || !r.chance(claim)) continue;
        if (ticket === "unshipped" && o.paidAt > this.latest - HOUR) continue;
        const made = this.case(ticket, o);
        if (!made) continue;
        tickets.pop();
        if (ticket === "ordinary") this.maybeSecond(made);
      }
    }
  }

  /** The bad batch: kettles sold in the last two weeks, over half of them claimed for quality. */
  qualityBatch() {
    const r = this.r;
    const buyers = this.customers.filter((c) => c.kind === "ordinary");
    if (buyers.length === 0) return;
    let tries = 0;
    while (this.left("quality_sku") > 0 && tries++ < this.quota.quality_sku * 20) {
      const claim = r.chance(BAD_BATCH_CLAIM_RATE);
      const c = r.pick(buyers);
      const paid = this.paidTime(this.now - 14 * DAY, this.now - (claim ? 8 * DAY : DAY));
      const o = this.order(c, paid, [this.kettle]);
      c.orders.sort((a, b) => a.paidAt - b.paidAt);
      if (claim) this.case("quality_sku", o);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The people's decisions, customer by customer in the order cases were opened.

function parcelAt(o: Order, at: number): ParcelState {
  const s = o.ship;
  if (!s || s.shippedAt > at) return "unshipped";
  if (s.signedAt !== null && s.signedAt <= at) return "signed";
  if (s.status === "exception" || s.status === "returned_to_sender") return "exception";
  return "in_transit";
}

function decide(p: Planner) {
  const r = p.r;
  const phones = new Map<string, number>();
  const devices = new Map<string, Set<Customer>>();
  for (const c of p.customers) {
    phones.set(c.phone, (phones.get(c.phone) ?? 0) + 1);
    for (const o of c.orders) {
      if (!o.deviceId) continue;
      const set = devices.get(o.deviceId) ?? new Set<Customer>();
      set.add(c);
      devices.set(o.deviceId, set);
    }
  }
  const byCustomer = new Map<Customer, Case[]>();
  for (const k of p.cases) {
    const list = byCustomer.get(k.order.customer) ?? [];
    list.push(k);
    byCustomer.set(k.order.customer, list);
  }
  for (const [c, list] of byCustomer) {
    list.sort((a, b) => a.createdAt - b.createdAt);
    const others = new Set<Customer>();
    for (const o of c.orders) for (const x of devices.get(o.deviceId ?? "") ?? []) if (x !== c) others.add(x);
    const sharedAccounts = Math.max((phones.get(c.phone) ?? 1) - 1, others.size);
    const kept: Case[] = [];
    for (const k of list) {
      const since = (d: number) =>
        kept.filter((x) => x.createdAt < k.createdAt && x.createdAt >= k.createdAt - d * DAY);
      const parcel = parcelAt(k.order, k.createdAt);
      const signed = parcel === "signed" ? (k.order.ship?.signedAt ?? null) : null;
      const view: ReviewView = {
        tier: c.tier,
        type: k.type,
        reason: k.reason,
        parcel,
        policies: new Set(k.items.flatMap((i) => policiesOf(i.line.product))),
        daysSinceDelivery: signed === null ? null : (k.createdAt - signed) / DAY,
        hasEvidence: k.evidence > 0,
        amount:
          k.requested ??
          k.items.reduce((a, i) => a + Math.floor((i.line.paid * i.quantity) / i.line.quantity), 0),
        refunds30: since(30).filter((x) => MONEY_TYPES.includes(x.type)).length,
        refundOnlyAfterDelivery90: since(90).filter(
          (x) =>
            x.type === "refund_only" && (x.order.ship?.signedAt ?? Number.POSITIVE_INFINITY) < x.createdAt,
        ).length,
        sharedAccounts,
      };
      const row = reviewRow(view);
      const policyReject = r.chance(row.pReject);
      const flipped = r.chance(NOISE);
      const reject = policyReject !== flipped;
      const pFinal = row.pReject * (1 - NOISE) + (1 - row.pReject) * NOISE;
      const at = Math.min(
        k.createdAt + (0.05 + 20 * r.next() ** 3) * HOUR,
        k.createdAt + (p.now - k.createdAt) * r.between(0.3, 0.6),
      );
      const closing =
        (k.type === "refund_only" || k.type === "reship" ? r.between(0.2, 2) : r.between(3, 9)) * DAY;
      k.decision = {
        action: reject ? "reject" : "approve",
        row,
        flipped,
        note: reject
          ? flipped
            ? r.pick(NOISE_REJECT_NOTES)
            : row.note
          : r.chance(0.3)
            ? "符合售后政策，同意"
            : null,
        reviewer: `reviewer-${r.int(1, 6)}`,
        at: Math.floor(at),
        closedAt: reject ? null : Math.floor(Math.min(at + closing, at + (p.now - at) * r.between(0.3, 0.9))),
        best: Math.max(pFinal, 1 - pFinal),
      };
      if (!reject) kept.push(k);
    }
  }
  // An approved refund before shipping cancels the shipment; a rejected one ships as planned.
  for (const k of p.cases) {
    if (k.archetype === "unshipped" && k.decision?.action === "approve") k.order.ship = null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Writing: a few thousand rows per statement, one transaction.

export interface HistoryOptions {
  cases: number;
  seed?: number;
  now?: Date;
  shop?: string;
  progress?: (msg: string) => void;
}

type Tally = { cases: number; approved: number; rejected: number };

export interface HistorySummary {
  shop: string;
  seed: number;
  customers: number;
  orders: number;
  cases: number;
  approved: number;
  rejected: number;
  /** Decisions the noise turned around. */
  flipped: number;
  /** Expected agreement of the best possible rule set that sees what the reviewers' policy sees (0–1). */
  ceiling: number;
  byArchetype: Record<CaseArchetype, Tally>;
  byPolicy: Record<string, Tally>;
  ms: number;
  text: string;
}

export const DEFAULT_HISTORY_SHOP = "history-tmall";
const BATCH = 5_000;
const iso = (t: number) => new Date(t).toISOString();
const ymd = (t: number) => new Date(t + TZ_OFFSET).toISOString().slice(0, 10).replaceAll("-", "");

type ColumnType = "text" | "bigint" | "int" | "time" | "jsonb" | "text[]";
/** A column to insert: its name, how it travels, and its value for a row (times as epoch ms). */
type Column<T> = readonly [name: string, type: ColumnType, value: (row: T) => string | number | null];
const PARAM_TYPE: Record<ColumnType, string> = {
  text: "text[]",
  bigint: "bigint[]",
  int: "int[]",
  time: "float8[]",
  jsonb: "text[]",
  "text[]": "text[]", // joined with commas
};
const VALUE: Record<ColumnType, (c: string) => string> = {
  text: (c) => c,
  bigint: (c) => c,
  int: (c) => c,
  time: (c) => `to_timestamp(${c} / 1000.0)`,
  jsonb: (c) => `${c}::jsonb`,
  "text[]": (c) => `case when ${c} = '' then '{}'::text[] else string_to_array(${c}, ',') end`,
};

/**
 * Insert many rows in one statement: one array parameter per column, unnested — the statement's size
 * does not grow with the rows, and it runs the same on PGlite and PostgreSQL. `fixed` columns take
 * one value for every row.
 */
async function insertRows<T>(
  db: Kysely<DB>,
  table: string,
  rows: readonly T[],
  fixed: Readonly<Record<string, string>>,
  columns: readonly Column<T>[],
): Promise<void> {
  const names = [...Object.keys(fixed), ...columns.map(([name]) => name)];
  const values = [
    ...Object.values(fixed).map((v) => sql`${v}::text`),
    ...columns.map(([name, type]) => sql.raw(VALUE[type](`u.${name}`))),
  ];
  const arrays = columns.map(([, type, value]) => sql`${rows.map(value)}::${sql.raw(PARAM_TYPE[type])}`);
  // Identity columns are GENERATED ALWAYS: ids reserved beforehand (reserveIds) need the override.
  const override = names.includes("id") ? sql`overriding system value` : sql``;
  await sql`
    insert into ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))}) ${override}
    select ${sql.join(values)}
      from unnest(${sql.join(arrays)}) as u(${sql.join(columns.map(([name]) => sql.ref(name)))})`.execute(db);
}

/**
 * Take `n` ids from a table's identity sequence — sent back as a range when they are consecutive
 * (always on PGlite, usually on PostgreSQL), as a list when other sessions took some in between.
 * Cheaper than RETURNING, which costs PGlite more than the insert itself.
 */
async function reserveIds(db: Kysely<DB>, table: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const { rows } = await sql<{ lo: number; hi: number; ids: number[] | null }>`
    select min(v)::bigint as lo, max(v)::bigint as hi,
           case when max(v) - min(v) + 1 = count(*) then null else array_agg(v order by v) end as ids
      from (select nextval(pg_get_serial_sequence(${table}, 'id')) as v from generate_series(1, ${n}::int)) x`.execute(
    db,
  );
  const row = rows[0] as { lo: number; hi: number; ids: number[] | null };
  if (row.ids) return row.ids.map(Number);
  const lo = Number(row.lo);
  return Array.from({ length: n }, (_, i) => lo + i);
}

async function inBatches<T>(
  rows: readonly T[],
  write: (chunk: T[]) => Promise<void>,
  done?: (n: number) => void,
) {
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    await write(chunk);
    done?.(i + chunk.length);
  }
}

async function alreadyLoaded(db: Kysely<DB>, shop: string): Promise<boolean> {
  const { rows } = await sql<{ loaded: boolean }>`
    select exists (select 1 from orders where shop_id = ${shop})
        or exists (select 1 from customers where id like ${`${shop}-c%`}) as loaded`.execute(db);
  return rows[0]?.loaded === true;
}

const loadedError = (shop: string) =>
  new AppError(
    "HISTORY_ALREADY_LOADED",
    `Shop ${shop} already has orders or history customers; generate into an empty shop (another --shop) or an empty database`,
    { shop },
  );

/**
 * Generate a labelled after-sales history for `shop` (created as a Tmall shop if missing). Throws
 * HISTORY_ALREADY_LOADED when that shop already has orders — it never adds to or duplicates a history.
 */
export async function generateHistory(db: Kysely<DB>, opts: HistoryOptions): Promise<HistorySummary> {
  const t0 = performance.now();
  const total = opts.cases;
  if (!Number.isSafeInteger(total) || total < 1 || total > 1_000_000) {
    throw new AppError(
      "INVALID_HISTORY_SIZE",
      "The history needs a whole number of cases from 1 to 1,000,000",
    );
  }
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed))
    throw new AppError("INVALID_HISTORY_SEED", "The seed must be a whole number");
  const shop = opts.shop ?? DEFAULT_HISTORY_SHOP;
  const now = (opts.now ?? new Date()).getTime();
  const progress = opts.progress ?? (() => {});
  if (await alreadyLoaded(db, shop)) throw loadedError(shop);

  // Plan everything in memory first: archetypes with the most constrained timing first.
  const p = new Planner(seed, now, total);
  p.plainKind("vip", () => [[p.start, now - 2 * HOUR]]);
  p.plainKind("serial", () => {
    const bursts = p.r.int(1, 3);
    return Array.from({ length: bursts }, () => {
      const a = p.r.between(p.start, now - 35 * DAY);
      return [a, Math.min(now - 2 * HOUR, a + p.r.between(20, 40) * DAY)] as [number, number];
    }).sort((x, y) => x[0] - y[0]);
  });
  p.plainKind("abuser", () => {
    const a = p.r.between(p.start, now - 60 * DAY);
    return [[a, Math.min(now - 2 * DAY, a + p.r.between(60, 150) * DAY)]];
  });
  p.rings();
  p.ordinary();
  p.qualityBatch();
  decide(p);

  // Numbering: customers shuffled (an id says nothing about its kind), orders and cases by time.
  const customers = p.r.shuffle([...p.customers]);
  customers.forEach((c, i) => {
    c.id = `${shop}-c${String(i + 1).padStart(6, "0")}`;
  });
  const orders = customers.flatMap((c) => c.orders).sort((a, b) => a.paidAt - b.paidAt);
  orders.forEach((o, i) => {
    o.externalId = `${ymd(o.paidAt)}${String(i + 1).padStart(8, "0")}${p.r.digits(3)}`;
  });
  const cases = [...p.cases].sort((a, b) => a.createdAt - b.createdAt);
  cases.forEach((k, i) => {
    k.externalId = `${ymd(k.createdAt)}${String(i + 1).padStart(7, "0")}${p.r.digits(2)}`;
  });
  progress(`history: planned ${cases.length} cases, ${orders.length} orders, ${customers.length} customers`);

  await db.transaction().execute(async (tx) => {
    await sql`insert into shops (id, name, channel, created_at)
              values (${shop}, ${"悦享家居生活天猫旗舰店（历史数据）"}, 'tmall', ${iso(p.start - 30 * DAY)})
              on conflict (id) do nothing`.execute(tx);
    await sql`select id from shops where id = ${shop} for update`.execute(tx);
    if (await alreadyLoaded(tx, shop)) throw loadedError(shop);
    for (const x of HISTORY_POLICIES) {
      await sql`insert into catalog_policies (kind, key, policies) values (${x.kind}, ${x.key}, ${x.policies}::text[])
                on conflict (kind, key) do nothing`.execute(tx);
    }

    await inBatches(customers, async (chunk) => {
      await insertRows(tx, "customers", chunk, {}, [
        ["id", "text", (c) => c.id],
        ["name", "text", (c) => c.name],
        ["phone", "text", (c) => c.phone],
        ["tier", "text", (c) => c.tier],
        ["credit_score", "int", (c) => c.credit],
        ["tags", "text[]", (c) => c.tags.join(",")],
        ["created_at", "time", (c) => c.createdAt],
      ]);
    });
    progress(`history: customers ${customers.length}/${customers.length}`);

    const lines = orders.flatMap((o) => o.lines);
    const orderIds = await reserveIds(tx, "orders", orders.length);
    const lineIds = await reserveIds(tx, "order_lines", lines.length);
    const caseIds = await reserveIds(tx, "cases", cases.length);
    for (const [i, o] of orders.entries()) o.id = orderIds[i] as number;
    for (const [i, l] of lines.entries()) l.id = lineIds[i] as number;
    for (const [i, k] of cases.entries()) k.id = caseIds[i] as number;

    const lastEvent = (o: Order) =>
      o.cases.reduce(
        (a, k) => Math.max(a, k.decision?.closedAt ?? k.decision?.at ?? k.createdAt),
        o.paidAt + 5 * MINUTE,
      );
    await inBatches(
      orders,
      (chunk) =>
        insertRows(tx, "orders", chunk, { shop_id: shop, currency: "CNY" }, [
          ["id", "bigint", (o) => o.id],
          ["external_id", "text", (o) => o.externalId],
          ["customer_id", "text", (o) => o.customer.id],
          ["discount_total", "bigint", (o) => o.discountTotal],
          ["shipping_fee", "bigint", (o) => o.shippingFee],
          ["paid_total", "bigint", (o) => o.paidTotal],
          ["aftersales_status", "text", (o) => (o.cases.length > 0 ? "closed" : "none")],
          ["placed_at", "time", (o) => o.placedAt],
          ["paid_at", "time", (o) => o.paidAt],
          ["content_hash", "text", (o) => `history:${seed}:${o.externalId}`],
          ["address_key", "text", (o) => o.addressKey],
          ["device_id", "text", (o) => o.deviceId],
          ["created_at", "time", (o) => o.paidAt + 2 * MINUTE],
          ["updated_at", "time", lastEvent],
        ]),
      (n) => progress(`history: orders ${n}/${orders.length}`),
    );
    const orderOf = new Map(orders.flatMap((o) => o.lines.map((l) => [l, o] as const)));
    await inBatches(
      lines,
      (chunk) =>
        insertRows(tx, "order_lines", chunk, {}, [
          ["id", "bigint", (l) => l.id],
          ["order_id", "bigint", (l) => (orderOf.get(l) as Order).id],
          ["line_no", "int", (l) => l.lineNo],
          ["external_id", "text", (l) => String(l.lineNo)],
          ["sku", "text", (l) => l.product.sku],
          ["title", "text", (l) => l.product.title],
          ["category", "text", (l) => l.product.category],
          ["quantity", "int", (l) => l.quantity],
          ["unit_price", "bigint", (l) => l.unitPrice],
          ["line_discount", "bigint", (l) => l.lineDiscount],
          ["order_discount", "bigint", (l) => l.orderDiscount],
          ["paid", "bigint", (l) => l.paid],
        ]),
      (n) => progress(`history: order lines ${n}/${lines.length}`),
    );
    await inBatches(orders, (chunk) =>
      insertRows(tx, "payments", chunk, { tender: "alipay" }, [
        ["order_id", "bigint", (o) => o.id],
        ["amount", "bigint", (o) => o.paidTotal],
        [
          "transaction_id",
          "text",
          (o) => `${ymd(o.paidAt)}2200${o.externalId.slice(8, 16)}${o.externalId.slice(-3)}`,
        ],
      ]),
    );
    const shipped = orders.filter((o) => o.ship !== null);
    const s = (o: Order) => o.ship as Shipment;
    await inBatches(shipped, (chunk) =>
      insertRows(tx, "shipments", chunk, { direction: "outbound" }, [
        ["order_id", "bigint", (o) => o.id],
        ["carrier", "text", (o) => s(o).carrier],
        ["tracking_no", "text", (o) => s(o).trackingNo],
        ["status", "text", (o) => s(o).status],
        ["shipped_at", "time", (o) => s(o).shippedAt],
        ["signed_at", "time", (o) => s(o).signedAt],
        ["eta", "time", (o) => (s(o).status === "in_transit" ? s(o).plannedSigned : null)],
        ["created_at", "time", (o) => s(o).shippedAt],
      ]),
    );
    progress(`history: payments ${orders.length}, shipments ${shipped.length}`);

    const finalAt = (k: Case) => (k.decision as Decision).closedAt ?? (k.decision as Decision).at;
    await inBatches(
      cases,
      (chunk) =>
        insertRows(tx, "cases", chunk, { shop_id: shop, currency: "CNY" }, [
          ["id", "bigint", (k) => k.id],
          ["order_id", "bigint", (k) => k.order.id],
          ["customer_id", "text", (k) => k.order.customer.id],
          ["external_id", "text", (k) => k.externalId],
          ["type", "text", (k) => k.type],
          ["status", "text", (k) => (k.decision?.action === "approve" ? "closed" : "rejected")],
          ["reason", "text", (k) => k.reason],
          ["source", "text", (k) => k.source],
          ["description", "text", (k) => k.description],
          ["evidence", "jsonb", evidenceJson],
          ["requested_amount", "bigint", (k) => k.requested],
          ["status_since", "time", finalAt],
          ["created_at", "time", (k) => k.createdAt],
          ["updated_at", "time", finalAt],
        ]),
      (n) => progress(`history: ${n}/${cases.length} cases`),
    );
    const items = cases.flatMap((k) => k.items.map((i) => ({ k, i })));
    await inBatches(items, (chunk) =>
      insertRows(tx, "case_items", chunk, {}, [
        ["case_id", "bigint", (x) => x.k.id],
        ["order_line_id", "bigint", (x) => x.i.line.id],
        ["quantity", "int", (x) => x.i.quantity],
      ]),
    );
    const events = cases.flatMap(timeline).sort((a, b) => a.at - b.at);
    await inBatches(
      events,
      (chunk) =>
        insertRows(tx, "case_events", chunk, {}, [
          ["case_id", "bigint", (e) => e.caseId],
          ["at", "time", (e) => e.at],
          ["actor", "text", (e) => e.actor],
          ["action", "text", (e) => e.action],
          ["from_status", "text", (e) => e.from],
          ["to_status", "text", (e) => e.to],
          ["note", "text", (e) => e.note],
          ["data", "jsonb", (e) => e.data],
        ]),
      (n) => progress(`history: timeline events ${n}/${events.length}`),
    );
  });
  // Fresh statistics, so the planner knows the tables just grew (backtests read them at once).
  await sql`analyze customers, orders, order_lines, shipments, cases, case_items, case_events`.execute(db);
  await recordFirstReviews(db, cases, progress);

  const summary = summarize(shop, seed, customers.length, orders.length, cases, performance.now() - t0);
  progress(`history: done in ${(summary.ms / 1000).toFixed(1)} s`);
  return summary;
}

/**
 * What live review recorded as each case came in: no rules were live then, so each went to a person,
 * with the facts the rules saw — what backtests and rule suggestions replay. Gathered the one way facts
 * are gathered (store/facts.ts), after the whole history is in, as of each case's opening.
 */
async function recordFirstReviews(db: Kysely<DB>, cases: Case[], progress: (msg: string) => void) {
  const tz = await timeZone({ db });
  const thresholds = await riskThresholds({ db });
  const none = compileRuleSet(validateRuleSet({ rules: [], solutions: [] }), 0);
  const ids = cases.map((k) => k.id);
  for (let i = 0; i < ids.length; i += 5_000) {
    const contexts = await loadCaseContexts(db, ids.slice(i, i + 5_000), tz);
    const rows = contexts.map((c) => {
      const risk = assessRisk(c.profile, thresholds, c.facts.currency);
      c.facts.riskScore = risk.score;
      return { c, risk, decision: none.evaluate(c.facts) };
    });
    await sql`insert into case_decisions (case_id, at, trigger, outcome, facts, risk, decision)
              select * from unnest(${rows.map((r) => r.c.caseId)}::bigint[],
                                   ${rows.map((r) => r.c.createdAt)}::timestamptz[],
                                   ${rows.map(() => "submitted")}::text[],
                                   ${rows.map((r) => r.decision.outcome)}::text[],
                                   ${rows.map((r) => JSON.stringify(r.c.facts))}::jsonb[],
                                   ${rows.map((r) => JSON.stringify(r.risk))}::jsonb[],
                                   ${rows.map((r) => JSON.stringify(r.decision))}::jsonb[])`.execute(db);
    progress(`history: first reviews ${Math.min(i + 5_000, ids.length)}/${ids.length}`);
  }
  await sql`analyze case_decisions`.execute(db);
}

function evidenceJson(k: Case): string {
  return JSON.stringify(
    Array.from({ length: k.evidence }, (_, i) => ({
      kind: "photo",
      url: `https://evidence.history.example/${k.externalId}-${i + 1}.jpg`,
    })),
  );
}

interface EventRow {
  caseId: number;
  at: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  note: string | null;
  data: string | null;
}

function timeline(k: Case): EventRow[] {
  const d = k.decision as Decision;
  const submitter = k.source === "platform" ? "channel:tmall" : `user:cs-${(k.id % 3) + 1}`;
  const approvedTo = k.type === "return_refund" || k.type === "exchange" ? "awaiting_return" : "approved";
  const events: EventRow[] = [
    {
      caseId: k.id,
      at: k.createdAt,
      actor: submitter,
      action: "submit",
      from: null,
      to: "requested",
      note: k.description,
      data: JSON.stringify({
        type: k.type,
        reason: k.reason,
        source: k.source,
        items: k.items.map((i) => ({ lineId: i.line.id, quantity: i.quantity })),
      }),
    },
    {
      caseId: k.id,
      at: d.at,
      actor: `user:${d.reviewer}`,
      action: d.action,
      from: "requested",
      to: d.action === "approve" ? approvedTo : "rejected",
      note: d.note,
      // What produced the label, for whoever studies the history; rules never see events.
      data: JSON.stringify({ history: { archetype: k.archetype, policy: d.row.id, flipped: d.flipped } }),
    },
  ];
  if (d.closedAt !== null) {
    events.push({
      caseId: k.id,
      at: d.closedAt,
      actor: "system:history",
      action: "close",
      from: approvedTo,
      to: "closed",
      note: "历史数据：售后已完结（退款与退货环节未导入）",
      data: JSON.stringify({ history: { imported: ["submit", "decision"], omitted: ["return", "refund"] } }),
    });
  }
  return events;
}

function summarize(
  shop: string,
  seed: number,
  customers: number,
  orders: number,
  cases: Case[],
  ms: number,
): HistorySummary {
  const tally = (): Tally => ({ cases: 0, approved: 0, rejected: 0 });
  const byArchetype = Object.fromEntries(ARCHETYPE_NAMES.map((a) => [a, tally()])) as Record<
    CaseArchetype,
    Tally
  >;
  const byPolicy: Record<string, Tally> = Object.fromEntries(DECISION_POLICY.map((row) => [row.id, tally()]));
  let approved = 0;
  let flipped = 0;
  let best = 0;
  for (const k of cases) {
    const d = k.decision as Decision;
    const ok = d.action === "approve";
    for (const t of [byArchetype[k.archetype], byPolicy[d.row.id] as Tally]) {
      t.cases++;
      if (ok) t.approved++;
      else t.rejected++;
    }
    if (ok) approved++;
    if (d.flipped) flipped++;
    best += d.best;
  }
  const ceiling = cases.length ? Math.round((best / cases.length) * 1000) / 1000 : 1;
  const pct = (n: number, of: number) => (of ? `${((n / of) * 100).toFixed(1)}%` : "-");
  const row = (name: string, t: Tally) =>
    `  ${name.padEnd(30)} ${String(t.cases).padStart(6)}  ${pct(t.rejected, t.cases).padStart(8)}`;
  const text = [
    `History loaded into shop ${shop} (seed ${seed}): ${customers} customers, ${orders} orders, ${cases.length} cases in ${(ms / 1000).toFixed(1)} s`,
    `People approved ${approved}, rejected ${cases.length - approved} (${pct(cases.length - approved, cases.length)}); ${flipped} decisions flipped by noise`,
    `Best agreement any rule set could expect: ${pct(ceiling, 1)}`,
    "",
    `${"By archetype:".padEnd(32)} cases  rejected`,
    ...ARCHETYPE_NAMES.map((a) => row(a, byArchetype[a])),
    "",
    `${"By decision policy row:".padEnd(32)} cases  rejected`,
    ...DECISION_POLICY.map((p) => row(p.id, byPolicy[p.id] as Tally)),
    "",
    "Measure a rule set against it: aftersales rules backtest",
  ].join("\n");
  return {
    shop,
    seed,
    customers,
    orders,
    cases: cases.length,
    approved,
    rejected: cases.length - approved,
    flipped,
    ceiling,
    byArchetype,
    byPolicy,
    ms: Math.round(ms),
    text,
  };
}
