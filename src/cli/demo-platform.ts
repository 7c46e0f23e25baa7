import type { PlatformSimulator, SimulatedOrder } from "../channels/platforms/platform.ts";
import type { Channel } from "../domain/order.ts";

const DAY = 24 * 3_600_000;

/**
 * The demo shop whose marketplace `aftersales start` runs simulated on loopback (the runtime owns the
 * simulator, see service.ts): the shop is connected to it, and new orders and buyer requests placed
 * there arrive through the platform sync like a real shop's.
 */
export const DEMO_PLATFORM_SHOP = { id: "tmall-flagship", channel: "tmall" } as const satisfies {
  id: string;
  channel: Channel;
};

/**
 * A few buyers on the simulated Tmall, each start: three new orders, a refund-only request and a
 * return. Order ids come from the clock and refund ids from the simulator's sequence, which its state
 * file carries across restarts, so a restart adds new ones next to those already synced.
 */
export function seedDemoPlatform(sim: PlatformSimulator, now: Date): { orders: number; requests: number } {
  const t = now.getTime();
  const iso = (ago: number) => new Date(t - ago).toISOString();
  const order = (i: number, buyer: string, lines: [string, string, number, number][]): SimulatedOrder => ({
    externalId: `4${t}${i}`,
    buyerId: buyer,
    currency: "CNY",
    paidAt: iso(3 * DAY),
    shippingFee: 0,
    lines: lines.map(([sku, title, quantity, unit], j) => ({
      lineId: `5${t}${i}${j}`,
      sku,
      title,
      quantity,
      unitPrice: unit,
      paid: unit * quantity,
    })),
    shipment: {
      carrier: "SF",
      trackingNo: `SF14${String(t).slice(-9)}${i}`,
      shippedAt: iso(2 * DAY),
      signedAt: iso(DAY),
    },
  });
  const orders = [
    order(1, "tb_莉莉的小屋", [
      ["MUG-CERAMIC", "手绘陶瓷马克杯 350ml", 2, 4900],
      ["TEA-LONGJING", "明前龙井 250g 礼盒", 1, 16800],
    ]),
    order(2, "tb_阿杰爱运动", [["TEE-COTTON-L", "纯棉圆领T恤 白 L", 1, 8900]]),
    order(3, "tb_晴天小猪", [["TOWEL-BATH", "长绒棉浴巾 70×140", 2, 6900]]),
  ];
  for (const o of orders) sim.placeOrder(o);
  const [mugOrder, teeOrder] = orders as [SimulatedOrder, SimulatedOrder, SimulatedOrder];
  const mug = mugOrder.lines[0] as SimulatedOrder["lines"][number];
  const tee = teeOrder.lines[0] as SimulatedOrder["lines"][number];
  sim.requestAftersale({
    orderExternalId: mugOrder.externalId,
    type: "refund_only",
    reason: "damaged",
    lineId: mug.lineId,
    quantity: 1,
    amount: 4900,
  });
  sim.requestAftersale({
    orderExternalId: teeOrder.externalId,
    type: "return_refund",
    reason: "size_fit",
    lineId: tee.lineId,
    quantity: 1,
    amount: 8900,
  });
  return { orders: orders.length, requests: 2 };
}
