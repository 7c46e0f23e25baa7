import type { PlatformSimulator, SimulatedOrder, SimulatedRequest } from "../channels/platforms/platform.ts";
import type { Channel } from "../domain/order.ts";

const DAY = 24 * 3_600_000;

/** One of the demo's marketplace shops and what its simulated buyers order there. */
export interface DemoPlatformShop {
  id: string;
  channel: Channel;
  currency: "CNY" | "USD";
  /** Buyers' names as the platform shows them (nick, pin, open id…). */
  buyers: readonly [string, string, string];
  carrier: string;
  /** SKU, title, unit price (minor units), for the three orders. */
  goods: readonly [
    readonly [string, string, number],
    readonly [string, string, number],
    readonly [string, string, number],
  ];
  /**
   * The refund-only request's order is not shipped yet (JD: a cancel-before-ship refund, 未发货退款,
   * is the request JD lets the merchant agree or refuse through the open platform).
   */
  refundBeforeShipping?: boolean;
}

/**
 * The demo shops whose marketplaces `aftersales start` runs simulated on loopback (the runtime owns the
 * simulators, see service.ts): each shop is connected to its own, and new orders and buyer requests
 * placed there arrive through the platform sync like a real shop's. Ids and channels are the demo's
 * (cli/demo.ts); Shopify sells in US dollars, the rest in yuan.
 */
export const DEMO_PLATFORM_SHOPS: readonly DemoPlatformShop[] = [
  {
    id: "tmall-flagship",
    channel: "tmall",
    currency: "CNY",
    buyers: ["tb_莉莉的小屋", "tb_阿杰爱运动", "tb_晴天小猪"],
    carrier: "SF",
    goods: [
      ["MUG-CERAMIC", "手绘陶瓷马克杯 350ml", 4900],
      ["TEE-COTTON-L", "纯棉圆领T恤 白 L", 8900],
      ["TOWEL-BATH", "长绒棉浴巾 70×140", 6900],
    ],
  },
  {
    id: "jd-store",
    channel: "jd",
    currency: "CNY",
    buyers: ["jd_王小二", "jd_跑步的猫", "jd_老周"],
    carrier: "JD",
    goods: [
      ["EARBUD-BT5", "蓝牙耳机 降噪版", 29900],
      ["KETTLE-1L7", "电热水壶 1.7L", 15900],
      ["TOWEL-BATH", "长绒棉浴巾 70×140", 6900],
    ],
    refundBeforeShipping: true,
  },
  {
    id: "pdd-outlet",
    channel: "pdd",
    currency: "CNY",
    buyers: ["pdd_拼单小能手", "pdd_果园阿姨", "pdd_省钱达人"],
    carrier: "ZTO",
    goods: [
      ["SOCKS-5P", "纯棉袜子 5双装", 1990],
      ["TEE-COTTON-L", "纯棉圆领T恤 白 L", 5990],
      ["MUG-CERAMIC", "手绘陶瓷马克杯 350ml", 2990],
    ],
  },
  {
    id: "douyin-live",
    channel: "douyin",
    currency: "CNY",
    buyers: ["抖音用户_小鹿", "抖音用户_大橙子", "抖音用户_阿花"],
    carrier: "YTO",
    goods: [
      ["LIPSTICK-R01", "丝绒口红 #01 正红", 12900],
      ["SERUM-30ML", "玻尿酸精华 30ml", 19900],
      ["MUG-CERAMIC", "手绘陶瓷马克杯 350ml", 4900],
    ],
  },
  {
    id: "wechat-mini",
    channel: "wechat_channels",
    currency: "CNY",
    buyers: ["oWx_8f3k2LmQ", "oWx_2b9cD7eR", "oWx_5tY1uI0p"],
    carrier: "SF",
    goods: [
      ["TEA-LONGJING", "明前龙井 250g 礼盒", 16800],
      ["TOWEL-BATH", "长绒棉浴巾 70×140", 6900],
      ["TEE-COTTON-L", "纯棉圆领T恤 白 L", 8900],
    ],
  },
  {
    id: "shopify-global",
    channel: "shopify",
    currency: "USD",
    buyers: ["emma.w@example.com", "liam.k@example.com", "olivia.r@example.com"],
    carrier: "UPS",
    goods: [
      ["MUG-CERAMIC", "Hand-painted ceramic mug 350ml", 1299],
      ["TEE-COTTON-L", "Cotton crew-neck tee, white, L", 2499],
      ["TEA-LONGJING", "Longjing green tea gift box 250g", 3999],
    ],
  },
];

/** Where the demo merchant's buyers send returns, told to each platform when a return is agreed. */
export const DEMO_RETURN_ADDRESS = {
  name: "悦享生活售后仓",
  phone: "0571-88886666",
  address: "浙江省杭州市余杭区仓前街道文一西路 1 号 悦享生活售后仓",
  postcode: "311121",
} as const;

/** The demo's Tmall shop (the first simulated one). */
export const DEMO_PLATFORM_SHOP = DEMO_PLATFORM_SHOPS[0] as DemoPlatformShop;

/**
 * A few buyers on one simulated marketplace, each start: three new orders, a refund-only request and a
 * return. Order and line ids come from the clock (digits only, short enough for the platforms that send
 * ids as JSON numbers) and request ids from the simulator's sequence, which its state file carries
 * across restarts, so a restart adds new ones next to those already synced.
 */
export function seedDemoPlatform(
  sim: PlatformSimulator,
  now: Date,
  shop: DemoPlatformShop = DEMO_PLATFORM_SHOP,
): { orders: number; requests: number } {
  const t = now.getTime();
  const stamp = String(t).slice(-11);
  const iso = (ago: number) => new Date(t - ago).toISOString();
  const order = (i: number, shipped: boolean): SimulatedOrder => {
    const [sku, title, unit] = shop.goods[i] as DemoPlatformShop["goods"][number];
    const quantity = i === 0 ? 2 : 1;
    return {
      externalId: `4${stamp}${i}`,
      buyerId: shop.buyers[i] as string,
      currency: shop.currency,
      paidAt: iso(3 * DAY),
      shippingFee: 0,
      lines: [{ lineId: `5${stamp}${i}`, sku, title, quantity, unitPrice: unit, paid: unit * quantity }],
      ...(shipped
        ? {
            shipment: {
              carrier: shop.carrier,
              trackingNo: `${shop.carrier}${stamp}${i}`,
              shippedAt: iso(2 * DAY),
              signedAt: iso(DAY),
            },
          }
        : {}),
    };
  };
  const orders = [order(0, !shop.refundBeforeShipping), order(1, true), order(2, true)];
  for (const o of orders) sim.placeOrder(o);
  const ask = (o: SimulatedOrder, type: SimulatedRequest["type"], reason: SimulatedRequest["reason"]) => {
    const line = o.lines[0] as SimulatedOrder["lines"][number];
    const unit = line.paid / line.quantity;
    sim.requestAftersale({
      orderExternalId: o.externalId,
      type,
      reason,
      lineId: line.lineId,
      quantity: 1,
      amount: unit,
    });
  };
  ask(orders[0] as SimulatedOrder, "refund_only", shop.refundBeforeShipping ? "changed_mind" : "damaged");
  ask(orders[1] as SimulatedOrder, "return_refund", "size_fit");
  return { orders: orders.length, requests: 2 };
}
