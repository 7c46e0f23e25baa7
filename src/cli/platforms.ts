import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { LOGISTICS_CHANNELS } from "../channels/logistics/registry.ts";
import { PAYMENT_CHANNELS } from "../channels/payments/registry.ts";
import type { SimulatedOrder } from "../channels/platforms/platform.ts";
import { SIMULATORS } from "../channels/platforms/registry.ts";
import { AppError } from "../domain/errors.ts";
import type { Channel } from "../domain/order.ts";
import { syncAllShops } from "../jobs/platform-sync.ts";
import type { Config } from "./config.ts";
import { openRuntime } from "./service.ts";

/** `aftersales sync [--shop ID]`: one pass over the connected shops, with counts per shop and stream. */
export async function runSync(config: Config) {
  const rt = await openRuntime(config);
  try {
    if (!rt.ctx.secrets)
      throw new AppError(
        "SECRET_KEY_MISSING",
        "No secret key is configured (AFTERSALES_SECRET_KEY), so no shop is connected",
      );
    const results = await syncAllShops(rt.ctx, config.shop ? { shop: config.shop } : {});
    if (results.length === 0) {
      console.log(
        config.shop
          ? `Shop "${config.shop}" has no platform credentials (PUT /api/v1/shops/${config.shop}/credentials)`
          : "No shop has platform credentials yet (PUT /api/v1/shops/{shop}/credentials)",
      );
      return;
    }
    for (const r of results) {
      const counts = `windows ${r.windows}, pages ${r.pages}, items ${r.items} (new ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}), errors ${r.errors}`;
      const where = r.syncedTo ? `, synced to ${r.syncedTo.toISOString()}` : "";
      console.log(
        `${r.shop} ${r.stream.padEnd(10)} ${r.status.padEnd(6)} ${counts}${where}${r.error ? `\n  ${r.error}` : ""}`,
      );
    }
    if (results.some((r) => r.status === "failed")) process.exitCode = 1;
  } finally {
    await rt.close();
  }
}

const USAGE = `Usage: aftersales simulate <channel> [--port N] [--host H] [--push URL] [--state FILE] [--no-seed]

Runs that platform's simulator on loopback with fresh credentials and prints them. Give them to a shop
of the same channel (PUT /api/v1/shops/{shop}/credentials) and sync it. --push sends the platform's push
messages (e.g. Taobao TMC) to a URL such as http://127.0.0.1:8080/api/v1/callbacks/platforms/{shop}.
--state keeps a marketplace's orders, requests, decisions and credentials in FILE: run again with the
same file and it carries on where it stopped, on the same credentials (only a new port needs saving).
A fresh simulator gets a few orders and requests unless --no-seed.`;

/** `aftersales simulate <channel>`: a platform simulator to develop and demo against. */
export async function runSimulate(argv: string[]) {
  if (argv[0] === "help" || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      push: { type: "string" },
      state: { type: "string" },
      "no-seed": { type: "boolean" },
    },
  });
  const channel = positionals[0] as Channel | undefined;
  const other = channel ? CHANNEL_SIMULATORS[channel] : undefined;
  if (other) {
    const sim = await other({ port: Number(values.port ?? 0), host: values.host ?? "127.0.0.1" });
    console.log(`${channel} simulator on ${sim.url}`);
    console.log("Configuration for its adapter (generated for this run):");
    console.log(JSON.stringify(sim.config, null, 2));
    const stop = async () => {
      await sim.close();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return;
  }
  const start = channel ? SIMULATORS[channel] : undefined;
  if (!start) {
    const all = [...Object.keys(SIMULATORS), ...Object.keys(CHANNEL_SIMULATORS)];
    console.error(
      `${channel ? `No simulator for "${channel}". ` : ""}Simulators: ${all.join(", ")}\n\n${USAGE}`,
    );
    process.exitCode = 2;
    return;
  }
  // A simulator restarted on its state file already has what it had; only a fresh one is seeded.
  const resumed = values.state !== undefined && existsSync(values.state);
  const sim = await start({
    port: Number(values.port ?? 0),
    host: values.host ?? "127.0.0.1",
    ...(values.push ? { pushUrl: values.push } : {}),
    ...(values.state ? { stateFile: values.state } : {}),
  });
  if (!values["no-seed"] && !resumed) seed(sim);
  console.log(`${channel} simulator on ${sim.url}`);
  console.log("Credentials (PUT them to /api/v1/shops/{shop}/credentials):");
  console.log(JSON.stringify(sim.credentials, null, 2));
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** Payment and carrier simulators, from their registries: what their adapters need to reach them. */
const CHANNEL_SIMULATORS: Record<
  string,
  (o: { port: number; host: string }) => Promise<{ url: string; config: unknown; close(): Promise<void> }>
> = Object.fromEntries(
  [...Object.entries(PAYMENT_CHANNELS), ...Object.entries(LOGISTICS_CHANNELS)].map(([name, c]) => [
    name,
    (o) => c.simulate(o),
  ]),
);

/** A few orders and requests, so a fresh simulator has something to sync. */
function seed(sim: Awaited<ReturnType<NonNullable<(typeof SIMULATORS)[Channel]>>>) {
  const base = `4${Date.now()}`;
  const paidAt = new Date(Date.now() - 3 * 24 * 3_600_000).toISOString();
  const orders: SimulatedOrder[] = [1, 2, 3].map((i) => ({
    externalId: `${base}${String(i).padStart(5, "0")}`,
    buyerId: `buyer${i}`,
    currency: "CNY",
    paidAt,
    shippingFee: 0,
    lines: [
      {
        lineId: `${base}${String(i * 10 + 1).padStart(5, "0")}`,
        sku: "TEE-BLK-M",
        title: "T恤 黑 M",
        quantity: 2,
        unitPrice: 9900,
        paid: 18800,
      },
      {
        lineId: `${base}${String(i * 10 + 2).padStart(5, "0")}`,
        sku: "CAP-01",
        title: "棒球帽",
        quantity: 1,
        unitPrice: 5990,
        paid: 5590,
      },
    ],
    shipment: {
      carrier: "SF",
      trackingNo: `SF${base}${i}`,
      shippedAt: paidAt,
      ...(i < 3 ? { signedAt: paidAt } : {}),
    },
  }));
  for (const o of orders) sim.placeOrder(o);
  const [a, b] = orders;
  if (a?.lines[1])
    sim.requestAftersale({
      orderExternalId: a.externalId,
      type: "refund_only",
      reason: "quality",
      lineId: a.lines[1].lineId,
      quantity: 1,
      amount: 5590,
    });
  if (b?.lines[0])
    sim.requestAftersale({
      orderExternalId: b.externalId,
      type: "return_refund",
      reason: "size_fit",
      lineId: b.lines[0].lineId,
      quantity: 1,
      amount: 9400,
    });
}
