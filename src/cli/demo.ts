import { ROLE_NAMES } from "../api/auth.ts";
import type { CaseSource, CaseType, CustomerTier, ReasonCode } from "../domain/catalogue.ts";
import { AppError } from "../domain/errors.ts";
import { CASE_STATE_NAMES, CASE_STATES, type CaseState, reachableStates } from "../domain/lifecycle.ts";
import { formatMinor, parseMinor } from "../domain/money.ts";
import type { Channel, LogisticsStatus, OrderInput, Tender } from "../domain/order.ts";
import { DEFAULT_RULE_SET } from "../domain/rules/default-rules.ts";
import { scanQuality } from "../flows/alerts.ts";
import { foldAnalytics } from "../flows/analytics.ts";
import type { Actor, FlowContext } from "../flows/context.ts";
import { grantRefund } from "../flows/grant-refund.ts";
import { ingestOrder } from "../flows/ingest-order.ts";
import { issueRefund, recordOutcome } from "../flows/issue-refund.ts";
import { previewRefund } from "../flows/quote-refund.ts";
import { type Condition, inspectReturn, receiveReturn } from "../flows/receive-return.ts";
import { approveCase, cancelCase, closeCase, rejectCase } from "../flows/review-case.ts";
import { activateRules, createRuleDraft } from "../flows/rules.ts";
import { setPolicies, setRulesActivation } from "../flows/settings.ts";
import { settleOfflineRefund } from "../flows/settle-offline-refund.ts";
import { recordReturnShipment, shipReplacement } from "../flows/shipments.ts";
import { submitCase } from "../flows/submit-case.ts";
import { createUser } from "../flows/users.ts";
import { findUserByLogin } from "../store/users.ts";
import { type Rng, rng } from "./random.ts";

/**
 * `aftersales demo`: a realistic merchant (悦享生活) selling on seven channels, a few hundred orders
 * over the last 60 days and after-sales cases in every state — loaded through the real flows only,
 * so every amount, timeline event, refund ledger row and order status is what the system itself
 * would have written. Shops are the one raw insert: no flow creates them yet.
 *
 * Reproducible: one seeded PRNG drives every choice; times are relative to ctx.now().
 */

const DEMO_ADMIN: Actor = { kind: "user", id: "demo-admin" };

export interface DemoOptions {
  progress?: (msg: string) => void;
  seed?: number;
  /** How many orders to load; about 45% of them get a case. Default 300. */
  orders?: number;
}

export interface DemoSummary {
  text: string;
  shops: number;
  orders: number;
  cases: number;
  byStatus: Record<string, number>;
}

/**
 * The demo merchant's team: one console account per role, and a second reviewer so automatic assignment
 * has someone to take turns with. All sign in with DEMO_PASSWORD, which the start banner prints.
 */
export const DEMO_USERS = [
  { login: "admin", name: "周敏", role: "admin" },
  { login: "cs", name: "李娜", role: "cs_agent" },
  { login: "reviewer", name: "张伟", role: "reviewer" },
  { login: "reviewer2", name: "刘洋", role: "reviewer" },
  { login: "supervisor", name: "陈静", role: "supervisor" },
  { login: "warehouse", name: "赵强", role: "warehouse" },
  { login: "finance", name: "孙丽", role: "finance" },
] as const;
export const DEMO_PASSWORD = "aftersales";

/** The demo's shops are here (its accounts and their published password belong with them, nowhere else). */
export const isDemoLoaded = async (ctx: FlowContext) =>
  Boolean(
    await ctx.db
      .selectFrom("shops")
      .select("id")
      .where(
        "id",
        "in",
        DEMO_SHOPS.map((s) => s.id),
      )
      .executeTakeFirst(),
  );

/** The demo's accounts that are missing, made (each start of the demo calls it: a deleted one comes back). */
export async function ensureDemoUsers(ctx: FlowContext) {
  for (const u of DEMO_USERS) {
    if (await findUserByLogin(ctx.db, u.login)) continue;
    await createUser(
      ctx,
      DEMO_ADMIN,
      { roles: ROLE_NAMES, shops: null },
      { ...u, password: DEMO_PASSWORD, shops: null },
    );
  }
}

export const DEFAULT_DEMO_SEED = 20240618;
const CASE_RATE = 0.45;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------
// The merchant: shops, catalogue, customers, carriers.

interface DemoShop {
  id: string;
  name: string;
  channel: Channel;
  currency: "CNY" | "USD";
  weight: number;
  tenders: readonly (readonly [Tender, number])[];
  carriers: readonly string[];
  sources: readonly (readonly [CaseSource, number])[];
  coupon?: { name: string; amount: number };
}

const PLATFORM_SOURCES = [
  ["platform", 75],
  ["chat", 20],
  ["phone", 5],
] as const;

export const DEMO_SHOPS: readonly DemoShop[] = [
  {
    id: "tmall-flagship",
    name: "悦享生活天猫旗舰店",
    channel: "tmall",
    currency: "CNY",
    weight: 26,
    tenders: [["alipay", 1]],
    carriers: ["SF", "ZTO", "YTO", "YUNDA"],
    sources: PLATFORM_SOURCES,
    coupon: { name: "天猫购物券", amount: 1000 },
  },
  {
    id: "jd-store",
    name: "悦享生活京东旗舰店",
    channel: "jd",
    currency: "CNY",
    weight: 18,
    tenders: [
      ["platform", 6],
      ["wechat_pay", 4],
    ],
    carriers: ["JD"],
    sources: PLATFORM_SOURCES,
    coupon: { name: "京东PLUS会员券", amount: 1500 },
  },
  {
    id: "pdd-outlet",
    name: "悦享优选拼多多折扣店",
    channel: "pdd",
    currency: "CNY",
    weight: 16,
    tenders: [
      ["wechat_pay", 65],
      ["alipay", 35],
    ],
    carriers: ["ZTO", "YTO", "YUNDA"],
    sources: PLATFORM_SOURCES,
    coupon: { name: "百亿补贴券", amount: 500 },
  },
  {
    id: "douyin-live",
    name: "悦享生活抖音直播间",
    channel: "douyin",
    currency: "CNY",
    weight: 16,
    tenders: [
      ["platform", 5],
      ["alipay", 25],
      ["wechat_pay", 25],
    ],
    carriers: ["ZTO", "YTO", "SF"],
    sources: PLATFORM_SOURCES,
    coupon: { name: "直播间专享券", amount: 1000 },
  },
  {
    id: "wechat-mini",
    name: "悦享生活微信小店",
    channel: "wechat_channels",
    currency: "CNY",
    weight: 10,
    tenders: [["wechat_pay", 1]],
    carriers: ["SF", "ZTO"],
    sources: [
      ["mini_program", 50],
      ["platform", 30],
      ["chat", 20],
    ],
    coupon: { name: "小店新人券", amount: 500 },
  },
  {
    id: "shopify-global",
    name: "悦享生活海外独立站 (Shopify)",
    channel: "shopify",
    currency: "USD",
    weight: 8,
    tenders: [["card", 1]],
    carriers: ["DHL", "UPS"],
    sources: [
      ["portal", 60],
      ["chat", 30],
      ["api", 10],
    ],
  },
  {
    id: "phone-orders",
    name: "悦享生活电话订购",
    channel: "manual",
    currency: "CNY",
    weight: 6,
    tenders: [
      ["wechat_pay", 5],
      ["alipay", 5],
    ],
    carriers: ["SF"],
    sources: [
      ["phone", 60],
      ["chat", 30],
      ["portal", 10],
    ],
    coupon: { name: "老客户回馈", amount: 1000 },
  },
];

type Category = "apparel" | "electronics" | "fresh_food" | "cosmetics" | "home";

interface Product {
  sku: string;
  title: string;
  en: string;
  category: Category;
  price: number; // 分
  sizes?: readonly string[];
}

/** SKU | title | English title (overseas shop) | category | price in CNY | sizes */
const CATALOGUE: readonly Product[] = `
YX-AP-1001 | 女士纯棉圆领短袖T恤          | Women's Cotton Tee          | apparel     |  79.00 | S,M,L,XL
YX-AP-1002 | 男士冰丝速干运动短裤          | Men's Quick-dry Shorts      | apparel     |  99.00 | S,M,L,XL
YX-AP-1003 | 女士高腰直筒牛仔裤            | High-rise Straight Jeans    | apparel     | 189.00 | S,M,L,XL
YX-AP-1004 | 轻薄连帽羽绒服                | Light Hooded Down Jacket    | apparel     | 459.00 | S,M,L,XL
YX-AP-1005 | 桑蚕丝印花长围巾              | Mulberry Silk Scarf         | apparel     | 259.00 |
YX-AP-1006 | 儿童UPF50+防晒皮肤衣          | Kids' UPF50+ Sun Jacket     | apparel     | 129.00 | 110,120,130,140
YX-EL-2001 | 主动降噪蓝牙耳机 Pro          | ANC Bluetooth Earbuds Pro   | electronics | 699.00 |
YX-EL-2002 | 20000mAh 22.5W快充移动电源    | 20000mAh Power Bank         | electronics | 149.00 |
YX-EL-2003 | 智能手环6 心率血氧监测        | Smart Band 6                | electronics | 229.00 |
YX-EL-2004 | 65W氮化镓三口充电器           | 65W GaN Charger             | electronics | 119.00 |
YX-EL-2005 | 便携防水蓝牙音箱              | Portable Waterproof Speaker | electronics | 299.00 |
YX-EL-2006 | 87键机械键盘 茶轴             | 87-key Mechanical Keyboard  | electronics | 399.00 |
YX-FR-3001 | 智利车厘子JJ级 2.5kg礼盒      | Chilean Cherries 2.5kg      | fresh_food  | 268.00 |
YX-FR-3002 | 阳澄湖大闸蟹 公4.0母3.0 4对装 | Hairy Crabs, 4 pairs        | fresh_food  | 398.00 |
YX-FR-3003 | 海南贵妃芒 5斤装              | Hainan Mangoes 2.5kg        | fresh_food  |  59.90 |
YX-FR-3004 | 赣南脐橙 10斤装               | Gannan Navel Oranges 5kg    | fresh_food  |  69.90 |
YX-FR-3005 | 挪威冰鲜三文鱼中段 500g       | Fresh Norwegian Salmon 500g | fresh_food  | 139.00 |
YX-CS-4001 | 玻尿酸补水精华液 30ml         | Hyaluronic Serum 30ml       | cosmetics   | 239.00 |
YX-CS-4002 | 氨基酸温和洗面奶 120g         | Amino Acid Cleanser 120g    | cosmetics   |  69.00 |
YX-CS-4003 | 丝绒哑光口红 #316             | Velvet Matte Lipstick #316  | cosmetics   | 159.00 |
YX-CS-4004 | 清透防晒乳 SPF50+ 50ml        | Sunscreen SPF50+ 50ml       | cosmetics   | 129.00 |
YX-CS-4005 | 积雪草修护面膜 10片装         | Cica Repair Masks x10       | cosmetics   |  99.00 |
YX-HM-5001 | 60支长绒棉四件套 1.8m床       | Long-staple Cotton Bedding  | home        | 599.00 |
YX-HM-5002 | 慢回弹记忆棉护颈枕            | Memory Foam Pillow          | home        | 169.00 |
YX-HM-5003 | 316不锈钢保温杯 500ml         | Insulated Bottle 500ml      | home        |  89.00 |
YX-HM-5004 | 无线手持吸尘器 V8             | Cordless Vacuum V8          | home        | 899.00 |
YX-HM-5005 | 釉下彩陶瓷餐具 16件套         | Ceramic Dinnerware 16pc     | home        | 259.00 |
YX-HM-5006 | 静音香薰加湿器                | Aroma Humidifier            | home        | 139.00 |
`
  .trim()
  .split("\n")
  .map((row) => {
    const [sku = "", title = "", en = "", category = "", price = "", sizes = ""] = row
      .split("|")
      .map((c) => c.trim());
    return {
      sku,
      title,
      en,
      category: category as Category,
      price: parseMinor(price, "CNY"),
      ...(sizes ? { sizes: sizes.split(",") } : {}),
    };
  });

const words = (s: string) => s.trim().split(/\s+/);
const SURNAMES = [
  ..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温季俞章鲁葛伍申尤毕聂柴焦向柳邢",
];
const GIVEN =
  words(`伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 子涵 浩然 梓萱 一诺
  欣怡 宇轩 思远 佳怡 雨桐 俊杰 晓东 婷婷 文博 雅琪 嘉怡 志强 海燕 建华 晨曦 若曦 梦瑶`);
const EN_FIRST = words(
  "Emily Jason Olivia Kevin Sophia Daniel Grace Ethan Chloe Ryan Mia Lucas Hannah Nathan",
);
const EN_LAST = words("Chen Wang Li Zhang Liu Wu Lin Huang Smith Nguyen Lee Tan Ho Garcia");
const MOBILE_PREFIXES = words(
  "130 131 135 136 137 138 139 150 151 155 158 159 176 177 180 182 186 187 188 189 199",
);

/** Tracking numbers in each carrier's own shape. */
const TRACKING: Record<string, (r: Rng) => string> = {
  SF: (r) => `SF${r.digits(13)}`,
  ZTO: (r) => `7${r.digits(13)}`,
  YTO: (r) => `YT${r.digits(13)}`,
  YUNDA: (r) => `43${r.digits(11)}`,
  JD: (r) => `JDVA${r.digits(11)}`,
  DHL: (r) => r.digits(10),
  UPS: (r) => `1Z${r.int(100, 999)}E${r.int(10, 99)}${r.digits(10)}`,
};
const RETURN_CARRIERS = ["SF", "ZTO", "YTO", "JD"] as const;

// ---------------------------------------------------------------------------------------------------
// Orders.

interface Customer {
  id: string;
  name: string;
  /** As a platform shows it: masked. */
  phone: string;
  tier: CustomerTier;
  /** What the merchant's own channels (phone orders, the web shop) know. */
  contact: { phone: string; email: string };
}

interface DemoOrder {
  id: number;
  shop: DemoShop;
  externalId: string;
  placedAt: number;
  logistics: LogisticsStatus | "none";
  deliveredAt: number | null;
  lines: { lineId: number; sku: string; category: Category; quantity: number }[];
  input: OrderInput;
}

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10).replaceAll("-", "");

function externalOrderId(r: Rng, shop: DemoShop, placedAt: number, n: number): string {
  const seq = String(n).padStart(4, "0");
  switch (shop.channel) {
    case "tmall":
      return `2${r.digits(14)}${seq}`;
    case "jd":
      return `3${r.digits(7)}${seq}`;
    case "pdd":
      return `${ymd(placedAt).slice(2)}-${r.digits(11)}${seq}`;
    case "douyin":
      return `69${r.digits(13)}${seq}`;
    case "wechat_channels":
      return `37${r.digits(13)}${seq}`;
    case "shopify":
      return String(5_000_000_000_000 + n * 7919);
    default:
      return `TEL-${ymd(placedAt)}-${seq}`;
  }
}

function transactionId(r: Rng, tender: Tender, shop: DemoShop, paidAt: number): string {
  const day = ymd(paidAt);
  switch (tender) {
    case "wechat_pay":
      return `42000${r.digits(5)}${day}${r.digits(10)}`;
    case "alipay":
      return `${day}22001${r.digits(15)}`;
    case "card": {
      const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
      return `ch_3${Array.from({ length: 23 }, () => r.pick(abc.split(""))).join("")}`;
    }
    default:
      return `${shop.channel === "jd" ? "JDPAY" : "DYPAY"}${day}${r.digits(12)}`;
  }
}

/**
 * Every fourth order of the merchant's own (phone) shop pays part with member points (会员积分, 100
 * points = ¥1, up to a tenth of the bill): refunds of those orders go back over two tenders.
 */
/** Pay one leg of a demo refund back, as the channel or (points) the clerk would. */
async function payLeg(c: FlowContext, leg: { id: number; channel: string }) {
  if (c.payments.get(leg.channel).awaitsPerson) {
    // Points go back in the member system; the clerk who re-credits them records it.
    await settleOfflineRefund(c, FINANCE, leg.id, { reference: `JF-${leg.id}` });
    return;
  }
  let result = await issueRefund(c, leg.id);
  // WeChat Pay answers PROCESSING and settles a moment later; asking again queries it, as the outbox would.
  for (let i = 0; result.status === "processing" && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    result = await issueRefund(c, leg.id);
  }
  if (result.status !== "succeeded") {
    throw new AppError(
      "DEMO_REFUND_NOT_SENT",
      `Demo refund ${leg.id} was not sent: ${result.error ? `${result.error.code}: ${result.error.message}` : result.status}`,
    );
  }
}

function payments(r: Rng, shop: DemoShop, n: number, tender: Tender, paid: number, paidAt: number) {
  const cash = { tender, transactionId: transactionId(r, tender, shop, paidAt) };
  const points = shop.channel === "manual" && n % 4 === 0 ? Math.min(5000, Math.floor(paid / 1000) * 100) : 0;
  if (points === 0) return [{ ...cash, amount: paid }];
  return [
    { ...cash, amount: paid - points },
    { tender: "points" as Tender, amount: points, transactionId: `PTS-${ymd(paidAt)}-${n}` },
  ];
}

const usd = (fen: number) => Math.max(499, Math.round(fen / 700) * 100 - 1);

function makeCustomers(r: Rng, n: number, overseas: boolean): Customer[] {
  // The first of the pool come back most often (see pickCustomer): the loyal few are the VIPs.
  const vips = Math.max(1, Math.round(n * 0.04));
  return Array.from({ length: n }, (_, i) => {
    const tier: CustomerTier = i < vips ? "vip" : "normal";
    if (overseas) {
      const last = r.digits(4);
      return {
        id: `cust-us-${1001 + i}`,
        name: `${r.pick(EN_FIRST)} ${r.pick(EN_LAST)}`,
        phone: `+1 ***-***-${last}`,
        tier,
        contact: { phone: `+1415555${last}`, email: `buyer${1001 + i}@example.com` },
      };
    }
    const prefix = r.pick(MOBILE_PREFIXES);
    const last = String(r.int(0, 9999)).padStart(4, "0");
    return {
      id: `cust-${10001 + i}`,
      name: `${r.pick(SURNAMES)}${r.pick(GIVEN)}`,
      phone: `${prefix}****${last}`,
      tier,
      contact: { phone: `${prefix}${r.digits(4)}${last}`, email: `buyer${10001 + i}@example.cn` },
    };
  });
}

/** Repeat customers: a skewed pick makes the first customers of the pool come back often. */
const pickCustomer = (r: Rng, pool: readonly Customer[]) =>
  pool[Math.floor(pool.length * r.next() ** 1.8)] as Customer;

function planOrder(
  r: Rng,
  n: number,
  base: number,
  customers: { cn: Customer[]; us: Customer[] },
): Omit<DemoOrder, "id" | "lines"> & { lines: Omit<DemoOrder["lines"][number], "lineId">[] } {
  const shop = r.weighted(DEMO_SHOPS.map((s) => [s, s.weight] as const));
  const cur = shop.currency;
  const money = (minor: number) => formatMinor(minor, cur);
  const placedAt = base - Math.floor(r.between(0.05, 60) * DAY);
  const paidAt = placedAt + r.int(15, 300) * 1000;

  const lineCount = r.weighted([
    [1, 60],
    [2, 28],
    [3, 12],
  ] as const);
  // Fresh food does not travel overseas.
  const range = cur === "USD" ? CATALOGUE.filter((p) => p.category !== "fresh_food") : CATALOGUE;
  const products = r.shuffle([...range]).slice(0, lineCount);
  const lines = products.map((p) => {
    const quantity =
      p.category === "cosmetics" || p.category === "fresh_food"
        ? r.weighted([
            [1, 6],
            [2, 3],
            [3, 1],
          ] as const)
        : r.weighted([
            [1, 8],
            [2, 2],
          ] as const);
    let unit = cur === "USD" ? usd(p.price) : p.price;
    if (shop.channel === "pdd") unit = Math.round((unit * 0.85) / 100) * 100 - 10; // 拼单价 .90
    const size = p.sizes ? r.pick(p.sizes) : undefined;
    const gross = unit * quantity;
    const discount = r.chance(0.15)
      ? cur === "USD"
        ? Math.round(gross * 0.1)
        : Math.max(100, Math.round((gross * r.pick([0.05, 0.1])) / 100) * 100)
      : 0;
    return {
      sku: size ? `${p.sku}-${size}` : p.sku,
      title: `${cur === "USD" ? `${p.en} ${p.title}` : p.title}${size ? ` ${size}码` : ""}`,
      category: p.category,
      quantity,
      unit,
      discount: Math.min(discount, gross - 100),
    };
  });
  const net = lines.reduce((a, l) => a + l.unit * l.quantity - l.discount, 0);

  const discounts: { kind: string; name: string; amount: number }[] = [];
  if (cur === "USD") {
    if (r.chance(0.25)) discounts.push({ kind: "coupon", name: "WELCOME10", amount: Math.round(net * 0.1) });
  } else {
    if (net >= 30000 && r.chance(0.35))
      discounts.push({ kind: "coupon", name: "店铺券 满300减30", amount: 3000 });
    else if (net >= 19900 && r.chance(0.25))
      discounts.push({ kind: "full_reduction", name: "满199减20", amount: 2000 });
    if (shop.coupon && net >= 5000 && r.chance(0.2))
      discounts.push({ kind: "platform_coupon", name: shop.coupon.name, amount: shop.coupon.amount });
  }
  const discountTotal = discounts.reduce((a, d) => a + d.amount, 0);
  if (discountTotal * 2 > net) discounts.length = 0; // never more than half the goods

  const hasFresh = lines.some((l) => l.category === "fresh_food");
  let shipping = 0;
  if (cur === "USD") shipping = net < 5000 ? 999 : 0;
  else if (shop.channel === "manual") shipping = 1500;
  else if (shop.channel !== "pdd" && hasFresh && r.chance(0.3)) shipping = 1200;
  else if (shop.channel !== "pdd" && net < 9900 && r.chance(0.5)) shipping = 800;
  const paid = net - discounts.reduce((a, d) => a + d.amount, 0) + shipping;

  // Logistics follow the clock: shipped within a day and a half, delivered a few days later.
  const carrier = hasFresh && cur === "CNY" ? "SF" : r.pick(shop.carriers);
  const shippedAt = paidAt + Math.floor(r.between(3, 36) * HOUR);
  const arrivesAt = shippedAt + Math.floor(r.between(hasFresh ? 0.8 : 1.2, cur === "USD" ? 8 : 4) * DAY);
  let logistics: DemoOrder["logistics"];
  if (shippedAt > base) logistics = r.chance(0.5) ? "unshipped" : "none";
  else if (arrivesAt > base) logistics = "in_transit";
  else if (base - arrivesAt > 3 * DAY && r.chance(0.025)) logistics = "exception";
  else logistics = "delivered";

  const tender = r.weighted(shop.tenders);
  const buyer = pickCustomer(r, cur === "USD" ? customers.us : customers.cn);
  // The merchant's own channels know how to reach the buyer (messages go out); platforms mask the number.
  const own = shop.channel === "manual" || shop.channel === "shopify";
  const customer = own
    ? { ...buyer, phone: buyer.contact.phone, email: buyer.contact.email }
    : { id: buyer.id, name: buyer.name, phone: buyer.phone, tier: buyer.tier };
  const externalId = externalOrderId(r, shop, placedAt, n);
  const input: OrderInput = {
    shop: shop.id,
    externalId,
    currency: cur,
    customer,
    placedAt: new Date(placedAt).toISOString(),
    paidAt: new Date(paidAt).toISOString(),
    lines: lines.map((l) => ({
      sku: l.sku,
      title: l.title,
      category: l.category,
      quantity: l.quantity,
      unitPrice: money(l.unit),
      ...(l.discount > 0 ? { discount: money(l.discount) } : {}),
    })),
    ...(discounts.length
      ? { discounts: discounts.map((d) => ({ kind: d.kind, name: d.name, amount: money(d.amount) })) }
      : {}),
    ...(shipping > 0 ? { shippingFee: money(shipping) } : {}),
    payments: payments(r, shop, n, tender, paid, paidAt).map((p) => ({ ...p, amount: money(p.amount) })),
    ...(logistics === "none"
      ? {}
      : {
          shipments: [
            {
              carrier,
              trackingNo: (TRACKING[carrier] as (r: Rng) => string)(r),
              status: logistics,
              ...(logistics === "unshipped" ? {} : { shippedAt: new Date(shippedAt).toISOString() }),
            },
          ],
        }),
  };
  return {
    shop,
    externalId,
    placedAt,
    logistics,
    deliveredAt: logistics === "delivered" ? arrivesAt : null,
    lines: lines.map((l) => ({ sku: l.sku, category: l.category, quantity: l.quantity })),
    input,
  };
}

// ---------------------------------------------------------------------------------------------------
// Cases: what each one asks for and how far through its lifecycle it has come.

/** The states each case type can rest in: everything its machine reaches. */
const TARGETS: Record<CaseType, readonly CaseState[]> = {
  refund_only: reachableStates("refund_only"),
  return_refund: reachableStates("return_refund"),
  exchange: reachableStates("exchange"),
  reship: reachableStates("reship"),
};

/** How likely each resting state is for a recent case, and for one on an order over 30 days old. */
const RECENT_WEIGHTS: Record<CaseState, number> = {
  requested: 12,
  approved: 8,
  awaiting_return: 10,
  return_in_transit: 10,
  partially_received: 4,
  received: 6,
  inspected: 4,
  inspection_failed: 3,
  refunding: 5,
  refund_failed: 2,
  refunded: 6,
  replacement_shipped: 6,
  closed: 8,
  rejected: 4,
  cancelled: 4,
};
const OLD_WEIGHTS: Record<CaseState, number> = {
  ...Object.fromEntries(CASE_STATE_NAMES.map((s) => [s, 0.5])),
  refund_failed: 1,
  inspection_failed: 1,
  refunded: 10,
  replacement_shipped: 3,
  closed: 40,
  rejected: 9,
  cancelled: 9,
} as Record<CaseState, number>;
/** States a case still waits in (the order shows 售后中): these cases are recent. */
const OPEN_STATES = new Set<CaseState>(
  CASE_STATE_NAMES.filter((s) => !CASE_STATES[s].terminal && s !== "refunded" && s !== "replacement_shipped"),
);

/** Reasons a customer gives, by case type and product category. */
const REASONS_BY: Record<CaseType, Partial<Record<Category, readonly ReasonCode[]>>> = {
  return_refund: {
    apparel: ["size_fit", "size_fit", "changed_mind", "quality", "not_as_described"],
    electronics: ["changed_mind", "quality", "quality", "not_as_described", "damaged"],
    cosmetics: ["changed_mind", "not_as_described", "damaged"],
    home: ["changed_mind", "quality", "damaged", "not_as_described"],
  },
  exchange: {
    apparel: ["size_fit", "size_fit", "size_fit", "quality", "wrong_item"],
    electronics: ["quality", "damaged"],
    cosmetics: ["wrong_item", "damaged"],
    home: ["damaged", "quality", "wrong_item"],
  },
  refund_only: {
    apparel: ["quality", "not_as_described", "missing_item"],
    electronics: ["missing_item", "quality"],
    fresh_food: ["spoiled", "spoiled", "damaged", "missing_item"],
    cosmetics: ["damaged", "missing_item"],
    home: ["damaged", "missing_item"],
  },
  reship: {
    apparel: ["missing_item", "wrong_item"],
    electronics: ["missing_item", "damaged"],
    fresh_food: ["damaged", "spoiled"],
    cosmetics: ["missing_item", "damaged"],
    home: ["missing_item", "damaged"],
  },
};

const DESCRIPTIONS: Record<ReasonCode, readonly string[]> = {
  changed_mind: [
    "不想要了，商品未拆封，申请七天无理由退货",
    "买多了，退掉一件",
    "拍错了，不想要了",
    "家里已经有了，申请退款",
  ],
  quality: [
    "用了两天就坏了，申请售后",
    "做工有问题，开线/起球严重",
    "充不进电，指示灯不亮",
    "有明显瑕疵，质量不行",
  ],
  wrong_item: ["下单的是M码，收到的是L码", "颜色发错了", "收到的商品和订单不一致"],
  damaged: ["快递外箱压坏，商品破损，附照片", "收到时外包装破损，里面也碎了", "商品有磕碰划痕"],
  not_as_described: ["实物颜色和详情页差别很大", "和描述的材质不一样", "实物比图片小很多"],
  missing_item: ["少发了一件", "配件缺失，没有充电线", "赠品没有收到"],
  not_received: ["显示已签收但本人没有收到", "快递柜里没有找到"],
  logistics_lost: ["物流好几天没更新，快递员说丢件了", "物流显示异常，包裹疑似丢失"],
  logistics_delay: ["物流太慢，不想等了，申请拦截退款", "一直没发货/没到，申请退款"],
  spoiled: ["收到时已经有烂果，附照片", "冰袋化了，海鲜有异味", "到货就变质了，无法食用"],
  size_fit: ["尺码偏小，想换大一码", "穿着不合身", "码数不准，偏大"],
  other: ["地址填错了，申请退款重新下单", "其他原因"],
};

const REJECT_NOTES: Record<CaseType, readonly string[]> = {
  refund_only: [
    "照片显示商品完好，无质量问题，建议申请退货退款",
    "已超过售后时效，不支持仅退款",
    "核实已正常签收，不予退款",
  ],
  return_refund: [
    "贴身衣物/已拆封美妆不支持七天无理由退货",
    "已超过七天无理由退货期限",
    "商品已使用，影响二次销售",
  ],
  exchange: ["该尺码/颜色已无库存，建议申请退货退款", "已超过换货时效"],
  reship: ["核实仓库出库记录完整，不予补发", "签收照片显示包裹完整"],
};
const QC_FAIL_NOTES = [
  "商品有明显使用痕迹，吊牌已剪",
  "退回商品与原订单不符（掉包）",
  "外壳有进水痕迹，非质量问题",
  "空包裹，未收到商品",
];
const QC_PASS_NOTES = ["外包装完好，吊牌齐全，可二次销售", "功能正常，配件齐全", "已核对SN码，与出库一致"];
const CANCEL_NOTES = [
  "买家撤销：已与客服协商解决",
  "买家撤销：找到配件了",
  "买家撤销：不退了，留着用",
  "买家撤销：重复申请",
];
const REFUND_FAILURES: readonly { code: string; message: string }[] = [
  { code: "ACCOUNT_CLOSED", message: "买家账户已注销" },
  { code: "USER_ACCOUNT_ABNORMAL", message: "退款请求失败，用户账户异常" },
  { code: "ACCOUNT_FROZEN", message: "收款账户已冻结" },
];

type Step =
  | "approve"
  | "reject"
  | "reject_after_qc"
  | "cancel"
  | "ship_return"
  | "receive_part"
  | "receive_rest"
  | "receive_all"
  | "inspect_pass"
  | "inspect_fail"
  | "grant"
  | "grant_partial"
  | "grant_later"
  | "issue"
  | "fail"
  | "ship_replacement"
  | "close";

/** Hours between the previous step and this one, as a range. */
const DELAYS: Record<Step, readonly [number, number]> = {
  approve: [0.2, 20],
  reject: [0.5, 24],
  reject_after_qc: [1, 12],
  cancel: [1, 48],
  ship_return: [6, 60],
  receive_part: [24, 96],
  receive_rest: [12, 48],
  receive_all: [24, 96],
  inspect_pass: [1, 24],
  inspect_fail: [1, 24],
  grant: [0.1, 6],
  grant_partial: [2, 24],
  grant_later: [0.1, 6],
  issue: [0.01, 0.1],
  fail: [0.02, 0.2],
  ship_replacement: [3, 30],
  close: [24, 96],
};

interface CasePlan {
  order: DemoOrder;
  type: CaseType;
  reason: ReasonCode;
  source: CaseSource;
  target: CaseState;
  items: { lineId: number; quantity: number }[];
  /** Refund less than the whole (协商部分退款), as a share of the cap. */
  partialShare?: number;
}

const totalQty = (items: readonly { quantity: number }[]) => items.reduce((a, i) => a + i.quantity, 0);

/** Lines that can go back to the warehouse (fresh food cannot). */
const returnable = (o: DemoOrder) => o.lines.filter((l) => l.category !== "fresh_food");

function planCase(
  r: Rng,
  order: DemoOrder,
  base: number,
  lines: DemoOrder["lines"],
  type?: CaseType,
): CasePlan | undefined {
  const reasonFor = (t: CaseType, cat: Category) => {
    const list = REASONS_BY[t][cat];
    return list ? r.pick(list) : undefined;
  };
  let chosenType: CaseType;
  let reason: ReasonCode;
  let items: CasePlan["items"];
  const all = lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity }));
  if (lines.length === 0) return undefined;
  if (order.logistics === "none" || order.logistics === "unshipped") {
    // 未发货仅退款: the whole order, before it leaves the warehouse.
    chosenType = "refund_only";
    reason = r.weighted([
      ["changed_mind", 6],
      ["other", 2],
      ["logistics_delay", 2],
    ] as const);
    items = all;
  } else if (order.logistics === "in_transit") {
    chosenType = "refund_only"; // 拦截退款
    reason = r.weighted([
      ["logistics_delay", 5],
      ["changed_mind", 5],
    ] as const);
    items = all;
  } else if (order.logistics === "exception") {
    chosenType = type ?? r.pick(["refund_only", "reship"] as const);
    reason = "logistics_lost";
    items = all;
  } else {
    const back = lines.filter((l) => l.category !== "fresh_food");
    const fresh = lines.filter((l) => l.category === "fresh_food");
    chosenType =
      type ??
      (back.length === 0
        ? r.weighted([
            ["refund_only", 7],
            ["reship", 3],
          ] as const)
        : r.weighted([
            ["return_refund", 45],
            ["refund_only", 22],
            ["exchange", back.some((l) => l.category === "apparel") ? 30 : 14],
            ["reship", 10],
          ] as const));
    const pool =
      chosenType === "return_refund" || chosenType === "exchange"
        ? back
        : chosenType === "refund_only" && fresh.length
          ? fresh
          : lines;
    if (pool.length === 0) return undefined;
    const line = r.pick(pool);
    reason = reasonFor(chosenType, line.category) ?? "quality";
    if (chosenType === "return_refund" && pool.length > 1 && r.chance(0.25)) {
      items = pool.map((l) => ({ lineId: l.lineId, quantity: l.quantity }));
    } else {
      const qty = chosenType === "exchange" || chosenType === "reship" ? 1 : r.int(1, line.quantity);
      items = [{ lineId: line.lineId, quantity: qty }];
    }
  }
  const old = base - order.placedAt > 30 * DAY;
  const weights = old ? OLD_WEIGHTS : RECENT_WEIGHTS;
  let target = r.weighted(TARGETS[chosenType].map((s) => [s, weights[s]] as const));
  if (target === "partially_received" && totalQty(items) < 2) target = "received";
  const plan: CasePlan = {
    order,
    type: chosenType,
    reason,
    source: r.weighted(order.shop.sources),
    target,
    items,
  };
  if (chosenType === "refund_only" && order.logistics === "delivered" && r.chance(0.4)) {
    plan.partialShare = r.pick([0.2, 0.3, 0.5]);
  }
  return plan;
}

/**
 * Re-aim or add cases until every state of the lifecycle is the resting state of at least `minEach`
 * cases (one for a small demo, a few for the default one), so every queue and filter has examples.
 */
function coverEveryState(r: Rng, plans: CasePlan[], orders: DemoOrder[], base: number, minEach: number) {
  const count = (s: CaseState) => plans.filter((p) => p.target === s).length;
  for (const state of CASE_STATE_NAMES) {
    while (count(state) < minEach) {
      const spare = (p: CasePlan) => count(p.target) > minEach;
      const fits = (p: CasePlan) =>
        TARGETS[p.type].includes(state) &&
        p.target !== state &&
        spare(p) &&
        (state !== "partially_received" || totalQty(p.items) >= 2);
      // Open cases are recent ones: re-aim among the newest orders.
      const candidates = r.shuffle(plans.filter(fits));
      if (OPEN_STATES.has(state)) candidates.sort((x, y) => y.order.placedAt - x.order.placedAt);
      let plan = OPEN_STATES.has(state)
        ? candidates[Math.floor(r.next() * Math.min(candidates.length, 8))]
        : candidates[0];
      if (!plan && state === "partially_received") {
        // Widen a return to every returnable unit of its order.
        plan = plans.find(
          (p) =>
            (p.type === "return_refund" || p.type === "exchange") &&
            p.target !== state &&
            spare(p) &&
            totalQty(returnable(p.order)) >= 2 &&
            plans.filter((q) => q.order === p.order).length === 1,
        );
        if (plan)
          plan.items = returnable(plan.order).map((l) => ({ lineId: l.lineId, quantity: l.quantity }));
      }
      if (!plan) {
        const used = new Set(plans.map((p) => p.order));
        const type = TARGETS.return_refund.includes(state) ? "return_refund" : "reship";
        for (const o of orders) {
          if (used.has(o) || o.logistics !== "delivered") continue;
          const candidate = planCase(r, o, base, type === "reship" ? o.lines : returnable(o), type);
          if (candidate && (state !== "partially_received" || totalQty(candidate.items) >= 2)) {
            plan = candidate;
            plans.push(plan);
            break;
          }
        }
      }
      if (!plan) break; // too small a demo to show this state
      plan.target = state;
    }
  }
}

/** The steps that take a new case to its resting state. */
function pathTo(r: Rng, p: CasePlan): Step[] {
  const { type, target } = p;
  const returns = type === "return_refund" || type === "exchange";
  const qty = totalQty(p.items);
  const receiveAll: Step[] = qty >= 2 && r.chance(0.3) ? ["receive_part", "receive_rest"] : ["receive_all"];
  const toReceived: Step[] = ["approve", "ship_return", ...receiveAll];
  const toInspected: Step[] = [...toReceived, "inspect_pass"];
  const toMoney: Step[] = returns ? toInspected : ["approve"];
  const retried = r.chance(0.12);
  const toRefunded: Step[] =
    type === "return_refund" && r.chance(0.15)
      ? [...toReceived, "inspect_fail", "grant_partial", "issue"]
      : [
          ...toMoney,
          ...(retried ? (["grant", "fail", "grant", "issue"] as Step[]) : (["grant", "issue"] as Step[])),
        ];
  const toReplaced: Step[] = [...(returns ? toInspected : ["approve" as Step]), "ship_replacement"];
  switch (target) {
    case "requested":
      return [];
    case "approved":
    case "awaiting_return":
      return ["approve"];
    case "return_in_transit":
      return ["approve", "ship_return"];
    case "partially_received":
      return ["approve", "ship_return", "receive_part"];
    case "received":
      return toReceived;
    case "inspected":
      return toInspected;
    case "inspection_failed":
      return [...toReceived, "inspect_fail"];
    case "refunding":
      return [...toMoney, "grant_later"];
    case "refund_failed":
      return [...toMoney, "grant", "fail"];
    case "refunded":
      return toRefunded;
    case "replacement_shipped":
      return toReplaced;
    case "closed":
      return [...(type === "refund_only" || type === "return_refund" ? toRefunded : toReplaced), "close"];
    case "rejected":
      return returns && r.chance(0.4) ? [...toReceived, "inspect_fail", "reject_after_qc"] : ["reject"];
    case "cancelled":
      return r.chance(0.5) ? ["cancel"] : ["approve", "cancel"];
  }
}

// ---------------------------------------------------------------------------------------------------
// Loading.

const REVIEWERS: readonly Actor[] = [
  { kind: "user", id: "demo-reviewer" },
  { kind: "user", id: "demo-supervisor" },
];
const CS: Actor = { kind: "user", id: "demo-cs" };
const WAREHOUSE: Actor = { kind: "user", id: "demo-warehouse" };
const FINANCE: Actor = { kind: "user", id: "demo-finance" };

function submitter(p: CasePlan): Actor {
  switch (p.source) {
    case "platform":
      return { kind: "channel", id: p.order.shop.channel };
    case "chat":
    case "phone":
      return CS;
    case "api":
      return { kind: "channel", id: p.order.shop.channel };
    default:
      return { kind: "channel", id: p.source }; // the customer, through the portal or mini-program
  }
}

function caseExternalId(r: Rng, p: CasePlan, n: number): string | undefined {
  if (p.source !== "platform" && p.source !== "api") return undefined;
  const seq = String(n).padStart(4, "0");
  switch (p.order.shop.channel) {
    case "jd":
      // JD's own id forms (a refund application, or a service order for goods coming back).
      return `${p.type === "refund_only" ? "refundapply:" : "asc:"}${r.digits(8)}${seq}`;
    case "shopify":
      return `RET-${r.digits(6)}${seq}`;
    default:
      return `${r.digits(14)}${seq}`;
  }
}

async function runCase(ctx: FlowContext, r: Rng, p: CasePlan, n: number, base: number, limit: number) {
  const steps = pathTo(r, p);
  const delays = steps.map((s) => {
    const [lo, hi] = DELAYS[s];
    return r.between(lo, hi) * HOUR;
  });
  const total = delays.reduce((a, b) => a + b, 0);
  const o = p.order;
  const earliest = (o.deliveredAt ?? o.placedAt) + r.between(0.5, 6) * HOUR;
  let start: number;
  if (OPEN_STATES.has(p.target)) {
    // Open cases are recent: they end (so far) within the last three days.
    start = limit - r.between(0.5, 72) * HOUR - total;
  } else {
    const window = o.logistics === "delivered" ? r.between(0, 7) * DAY : r.between(0, 1) * DAY;
    start = earliest + window;
  }
  start = Math.max(start, earliest);
  if (start > limit) start = Math.max(o.placedAt + 60_000, limit - HOUR);
  // Squeeze the steps so the last one still happens before now.
  const scale = total > 0 && start + total > limit ? (limit - start) / total : 1;

  let t = start;
  const at = (extra: Partial<FlowContext> = {}): FlowContext => ({
    ...ctx,
    now: () => new Date(t),
    ...extra,
  });
  const reviewer = r.pick(REVIEWERS);
  const shop = o.shop;
  const description = r.pick(DESCRIPTIONS[p.reason]);
  const seller = ["quality", "wrong_item", "damaged", "not_as_described", "missing_item", "spoiled"].includes(
    p.reason,
  );
  const evidence =
    seller && r.chance(0.75)
      ? Array.from({ length: r.int(1, 3) }, (_, i) => ({
          kind: "photo",
          url: demoPhoto(n + i, `${n}-${i + 1}`),
        }))
      : [];
  let requestedAmount: string | undefined;
  if (p.type === "refund_only" || p.type === "return_refund") {
    const quote = await previewRefund(at(), o.id, { items: p.items, reason: p.reason });
    const amount = p.partialShare ? Math.max(1, Math.floor(quote.cap * p.partialShare)) : quote.cap;
    requestedAmount = formatMinor(amount, o.input.currency);
  }
  const externalId = caseExternalId(r, p, n);
  const { id } = await submitCase(at(), submitter(p), {
    orderId: o.id,
    ...(externalId ? { externalId } : {}),
    type: p.type,
    reason: p.reason,
    source: p.source,
    items: p.items,
    description,
    ...(evidence.length ? { evidence } : {}),
    ...(requestedAmount ? { requestedAmount } : {}),
  });

  const qty = totalQty(p.items);
  let received = 0;
  // The legs of the latest grant: one per tender the order was paid with (cash, then points).
  let legs: { id: number; channel: string }[] = [];
  let k = 0;
  for (const step of steps) {
    t += (delays[k++] ?? 0) * scale;
    const c = at();
    switch (step) {
      case "approve":
        await approveCase(c, reviewer, id, r.chance(0.3) ? { note: "符合售后政策，同意" } : {});
        break;
      case "reject":
        await rejectCase(c, reviewer, id, { note: r.pick(REJECT_NOTES[p.type]) });
        break;
      case "reject_after_qc":
        await rejectCase(c, reviewer, id, { note: "质检不通过，驳回申请，商品已原路寄回" });
        break;
      case "cancel":
        await cancelCase(c, submitter(p), id, { note: r.pick(CANCEL_NOTES) });
        break;
      case "ship_return": {
        const carrier =
          shop.channel === "jd" ? "JD" : shop.currency === "USD" ? "UPS" : r.pick(RETURN_CARRIERS);
        await recordReturnShipment(c, p.source === "platform" ? submitter(p) : CS, id, {
          carrier,
          trackingNo: (TRACKING[carrier] as (r: Rng) => string)(r),
        });
        break;
      }
      case "receive_part":
      case "receive_rest":
      case "receive_all": {
        const quantity = step === "receive_part" ? Math.max(1, Math.floor(qty / 2)) : qty - received;
        const failing = steps.includes("inspect_fail");
        const condition: Condition = failing
          ? r.pick(["damaged", "opened", "wrong_item", "empty_box"] as const)
          : r.weighted([
              ["intact", 8],
              ["opened", 2],
            ] as const);
        await receiveReturn(c, WAREHOUSE, id, { quantity, condition });
        received += quantity;
        break;
      }
      case "inspect_pass":
        await inspectReturn(c, WAREHOUSE, id, { result: "pass", note: r.pick(QC_PASS_NOTES) });
        break;
      case "inspect_fail":
        await inspectReturn(c, WAREHOUSE, id, { result: "fail", note: r.pick(QC_FAIL_NOTES) });
        break;
      case "grant":
      case "grant_later": {
        const amount =
          p.partialShare && requestedAmount ? { amount: requestedAmount, note: "与买家协商部分退款" } : {};
        // A refund still in flight: its send is scheduled for after the demo starts, not at once.
        const later =
          step === "grant_later"
            ? { settings: { ...ctx.settings, refundSendGraceMs: base - t + r.between(6, 36) * HOUR } }
            : {};
        legs = (await grantRefund(at(later), p.type === "refund_only" ? reviewer : FINANCE, id, amount))
          .refunds;
        break;
      }
      case "grant_partial": {
        const quote = await previewRefund(c, o.id, { items: p.items, reason: p.reason });
        const amount = formatMinor(Math.max(1, Math.floor(quote.cap * 0.5)), o.input.currency);
        legs = (await grantRefund(c, FINANCE, id, { amount, note: "质检不通过，协商退款50%，商品寄回买家" }))
          .refunds;
        break;
      }
      case "issue": {
        for (const leg of legs) await payLeg(c, leg);
        break;
      }
      case "fail":
        // The cash leg is declined; any points leg was re-credited, so the case shows what came back.
        for (const [i, leg] of legs.entries()) {
          if (i === 0) await recordOutcome(c, leg.id, { status: "failed", ...r.pick(REFUND_FAILURES) });
          else await payLeg(c, leg);
        }
        break;
      case "ship_replacement": {
        const carrier = r.pick(shop.carriers);
        await shipReplacement(c, WAREHOUSE, id, {
          carrier,
          trackingNo: (TRACKING[carrier] as (r: Rng) => string)(r),
          note: p.type === "exchange" ? "换货已发出" : "补发已发出",
        });
        break;
      }
      case "close":
        await closeCase(c, r.chance(0.5) ? reviewer : { kind: "system", id: "aftersales" }, id, {
          note:
            p.type === "exchange" || p.type === "reship" ? "买家已签收，售后完结" : "退款已到账，售后完结",
        });
        break;
    }
  }
  return id;
}

/** Load the demo merchant. Throws DEMO_ALREADY_LOADED when its shops already exist. */
export async function loadDemo(ctx: FlowContext, opts: DemoOptions = {}): Promise<DemoSummary> {
  const progress = opts.progress ?? (() => {});
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const orderCount = opts.orders ?? 300;
  if (!Number.isSafeInteger(orderCount) || orderCount < 1) {
    throw new AppError("INVALID_DEMO_SIZE", "The demo needs a positive whole number of orders");
  }
  const shopIds = DEMO_SHOPS.map((s) => s.id);
  const existing = await ctx.db.selectFrom("shops").select("id").where("id", "in", shopIds).execute();
  if (existing.length > 0) {
    throw new AppError(
      "DEMO_ALREADY_LOADED",
      `The demo is already loaded (shop ${existing.map((s) => s.id).join(", ")} exists); start from an empty database to load it again`,
      { shops: existing.map((s) => s.id) },
    );
  }
  const r = rng(seed);
  const base = ctx.now().getTime();
  const limit = base - 2 * 60_000;

  await ctx.db
    .insertInto("shops")
    .values(
      DEMO_SHOPS.map((s) => ({
        id: s.id,
        name: s.name,
        channel: s.channel,
        created_at: new Date(base - 400 * DAY),
      })),
    )
    .execute();
  progress(`shops ${DEMO_SHOPS.length}/${DEMO_SHOPS.length}`);
  await ensureDemoUsers(ctx);

  const customers = {
    cn: makeCustomers(r, Math.max(5, Math.ceil(orderCount * 0.6)), false),
    us: makeCustomers(r, Math.max(3, Math.ceil(orderCount * 0.06)), true),
  };
  const planned = Array.from({ length: orderCount }, (_, i) => planOrder(r, i + 1, base, customers)).sort(
    (a, b) => a.placedAt - b.placedAt,
  );
  const orders: DemoOrder[] = [];
  for (const [i, o] of planned.entries()) {
    const ingestAt = new Date(o.placedAt + r.int(1, 10) * 60_000);
    const { id } = await ingestOrder({ ...ctx, now: () => ingestAt }, o.input);
    orders.push({ ...o, id, lines: [] });
    if ((i + 1) % 20 === 0 || i + 1 === planned.length) progress(`orders ${i + 1}/${planned.length}`);
  }
  const lineRows = await ctx.db
    .selectFrom("order_lines")
    .select(["id", "order_id", "line_no"])
    .where(
      "order_id",
      "in",
      orders.map((o) => o.id),
    )
    .orderBy("order_id")
    .orderBy("line_no")
    .execute();
  const byOrder = new Map(orders.map((o, i) => [o.id, { o, plannedLines: planned[i]?.lines ?? [] }]));
  for (const row of lineRows) {
    const entry = byOrder.get(row.order_id);
    const line = entry?.plannedLines[row.line_no - 1];
    if (entry && line) entry.o.lines.push({ ...line, lineId: row.id });
  }

  // About 45% of orders get a case; some multi-line orders get a second one on their other lines.
  const plans: CasePlan[] = [];
  for (const o of r.shuffle([...orders])) {
    if (plans.length >= Math.round(orderCount * CASE_RATE)) break;
    if (!r.chance(CASE_RATE * 1.3)) continue;
    const first = planCase(r, o, base, o.lines);
    if (!first) continue;
    plans.push(first);
    const taken = new Set(first.items.map((i) => i.lineId));
    const rest = o.lines.filter((l) => !taken.has(l.lineId));
    if (o.logistics === "delivered" && rest.length > 0 && r.chance(0.2)) {
      const second = planCase(r, o, base, rest);
      if (second?.items.every((i) => !taken.has(i.lineId))) plans.push(second);
    }
  }
  coverEveryState(r, plans, orders, base, Math.max(1, Math.floor(plans.length / 45)));
  // Cases are numbered in the order customers opened them.
  plans.sort((a, b) => a.order.placedAt - b.order.placedAt);
  for (const [i, p] of plans.entries()) {
    await runCase(ctx, r, p, i + 1, base, limit);
    if ((i + 1) % 10 === 0 || i + 1 === plans.length) progress(`cases ${i + 1}/${plans.length}`);
  }

  // The history above was decided by people. From now on the merchant's rules review new cases:
  // product policies first, then the default rule set, live; and a first quality scan.
  await setPolicies(ctx, "category", "fresh_food", ["fresh", "no_7day_return"]);
  await setPolicies(ctx, "category", "cosmetics", ["no_7day_return"]);
  const rules = await createRuleDraft(ctx, DEMO_ADMIN, {
    definition: DEFAULT_RULE_SET,
    note: "默认规则 / default rules",
  });
  await activateRules(ctx, DEMO_ADMIN, rules.version);
  // From now on a changed rule set goes live only when someone other than its author activates it.
  await setRulesActivation(ctx, { secondPerson: true }, DEMO_ADMIN);
  await scanQuality(ctx);
  // The dashboards show the history at once, not after the fold job's first pass.
  await foldAnalytics(ctx);

  return summarize(ctx, shopIds);
}

async function summarize(ctx: FlowContext, shopIds: string[]): Promise<DemoSummary> {
  const orderRows = await ctx.db
    .selectFrom("orders")
    .select(["shop_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("shop_id", "in", shopIds)
    .groupBy("shop_id")
    .execute();
  const caseRows = await ctx.db
    .selectFrom("cases")
    .select(["shop_id", "status", "type", (eb) => eb.fn.countAll<number>().as("n")])
    .where("shop_id", "in", shopIds)
    .groupBy(["shop_id", "status", "type"])
    .execute();
  const ordersByShop = new Map(orderRows.map((x) => [x.shop_id, Number(x.n)]));
  const casesByShop = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  for (const row of caseRows) {
    const n = Number(row.n);
    casesByShop.set(row.shop_id, (casesByShop.get(row.shop_id) ?? 0) + n);
    byStatus[row.status] = (byStatus[row.status] ?? 0) + n;
    byType[row.type] = (byType[row.type] ?? 0) + n;
  }
  const orders = [...ordersByShop.values()].reduce((a, b) => a + b, 0);
  const cases = [...casesByShop.values()].reduce((a, b) => a + b, 0);
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const text = [
    `Demo loaded: ${DEMO_SHOPS.length} shops, ${orders} orders, ${cases} cases`,
    "",
    "By shop:",
    ...DEMO_SHOPS.map(
      (s) =>
        `  ${pad(s.id, 16)} ${pad(s.channel, 16)} ${String(ordersByShop.get(s.id) ?? 0).padStart(4)} orders ${String(casesByShop.get(s.id) ?? 0).padStart(4)} cases  ${s.name}`,
    ),
    "",
    "Cases by status:",
    ...CASE_STATE_NAMES.map(
      (s) => `  ${pad(s, 20)} ${String(byStatus[s] ?? 0).padStart(4)}  ${CASE_STATES[s].zh}`,
    ),
    "",
    `Cases by type: ${Object.entries(byType)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([t, n]) => `${t} ${n}`)
      .join(", ")}`,
  ].join("\n");
  return { text, shops: DEMO_SHOPS.length, orders, cases, byStatus };
}

/**
 * A customer's photo for the demo, drawn as an SVG data: URL: the console shows it like any evidence
 * image, and the demo needs no image server (platforms' own image hosts are not reachable offline).
 */
function demoPhoto(seed: number, label: string): string {
  // Not from the demo's random stream, which would shift every choice made after it.
  const colour = ["#8c5a2b", "#3d5a80", "#6b705c", "#7b2cbf", "#1d7a70", "#9a5418"][seed % 6];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320"><rect width="320" height="320" fill="${colour}"/><rect x="60" y="70" width="200" height="160" rx="12" fill="#fff" fill-opacity="0.25"/><text x="24" y="296" font-size="22" fill="#fff" font-family="sans-serif">IMG ${label}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
