import { join } from "node:path";
import { buildServer } from "../api/server.ts";
import { type LogisticsSandbox, startLogisticsSandbox } from "../channels/logistics/sandbox.ts";
import type { NotifyChannel, NotifyKind, SimulatedNotify } from "../channels/notify/channel.ts";
import {
  NOTIFY_CHANNELS,
  notifyChannelsFromEnv,
  simulateNotifyChannels,
} from "../channels/notify/registry.ts";
import type { PaymentChannel, SimulatedPayment } from "../channels/payments/channel.ts";
import { offlineChannel } from "../channels/payments/offline/adapter.ts";
import { platformPayChannel } from "../channels/payments/platform/adapter.ts";
import { createPaymentRegistry, PAYMENT_CHANNELS } from "../channels/payments/registry.ts";
import { sandboxPayChannel } from "../channels/payments/sandbox/adapter.ts";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../channels/payments/sandbox/simulator.ts";
import type { PlatformSimulator } from "../channels/platforms/platform.ts";
import { SIMULATORS } from "../channels/platforms/registry.ts";
import type { Channel } from "../domain/order.ts";
import { DEFAULT_SETTINGS, type FlowContext, type PaymentTaken } from "../flows/context.ts";
import { NOTIFY_KINDS } from "../flows/notify-customers.ts";
import { shopClient } from "../flows/sync-platform.ts";
import { startWorkers } from "../jobs/workers.ts";
import { saveCredentials } from "../store/credentials.ts";
import { openStore, type Store } from "../store/db.ts";
import { sandboxSecret } from "../store/installation.ts";
import { loadKeyring } from "../store/secrets.ts";
import type { Config } from "./config.ts";

/** Everything a running process needs: the store, the channels and the flow context. */
export interface Runtime {
  store: Store;
  ctx: FlowContext;
  simulator: SandboxPaySimulator | undefined;
  /** The simulated outside world this process runs on loopback (none when PAY_SANDBOX_URL is given). */
  simulators: {
    /** Each registered payment channel (payments/registry.ts) on its simulator, by tender. */
    payments: Map<string, SimulatedPayment>;
    logistics?: LogisticsSandbox;
    platforms: Map<string, PlatformSimulator>;
  };
  /**
   * Tell the simulated payment channels about a payment taken outside them. Alipay only refunds trades
   * it knows, as the real one only knows paid trades; WeChat Pay's simulator learns a payment from its
   * first refund. The flow context calls it for every ingested order (ctx.paymentTaken), so orders
   * entered through the API, the demo's and the platforms' are all refundable; a known trade stays as it is.
   */
  paymentTaken(p: PaymentTaken): void;
  /**
   * Run `channel`'s platform simulator for the shop and connect the shop to it (its credentials, with the
   * simulator's address as the gateway). The simulator lives as long as the runtime; on the embedded
   * database it keeps its orders, requests, decisions and credentials in DATA_DIR
   * (`platform-<shop>-simulator.json`), so after a restart it comes back on the same credentials and
   * only the gateway (a new port) changes.
   */
  simulatePlatform(shopId: string, channel: Channel): Promise<PlatformSimulator>;
  /** Once the API listens: point the simulators' callbacks and pushes at it. */
  listening(url: string): void;
  /** What runs simulated, for the start banner. */
  describeSimulators(): string[];
  close(): Promise<void>;
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const store = await openStore(
    config.databaseUrl
      ? { databaseUrl: config.databaseUrl, poolSize: config.dbPool }
      : { dataDir: config.dataDir },
  );
  // Until real payment adapters are configured every tender refunds through the sandbox channel,
  // which speaks a signed HTTP protocol to a simulator — the service's own unless one is given. It signs
  // with PAY_SANDBOX_SECRET or else the installation's own secret (never one published in the code).
  const secret = config.paySandboxSecret ?? (await sandboxSecret(store.db));
  const simulator = config.paySandboxUrl ? undefined : await startSandboxPaySimulator({ port: 0, secret });
  const sandbox = sandboxPayChannel({
    name: "sandbox",
    url: config.paySandboxUrl ?? (simulator as SandboxPaySimulator).url,
    secret,
    timeoutMs: 10_000,
  });
  // No real WeChat Pay or Alipay credentials are configurable yet, so with its own sandbox the service
  // also runs every registered payment channel on its simulator and refunds those tenders through the
  // real adapters. Their state files (e.g. wechat-pay-simulator.json) sit in DATA_DIR next to the
  // embedded database, so a restart keeps their refunds. With PAY_SANDBOX_URL every tender goes to that
  // external sandbox, as before.
  const stateFile = (name: string) => (config.databaseUrl ? {} : { stateFile: join(config.dataDir, name) });
  const [payments, logistics] = simulator
    ? await Promise.all([
        Promise.all(
          Object.entries(PAYMENT_CHANNELS).map(
            async ([tender, c]) =>
              [
                tender,
                await c.simulate({ port: 0, ...stateFile(`${tender.replaceAll("_", "-")}-simulator.json`) }),
              ] as const,
          ),
        ).then((all) => new Map<string, SimulatedPayment>(all)),
        startLogisticsSandbox(),
      ])
    : [new Map<string, SimulatedPayment>(), undefined];
  // Customer messages: a provider configured in the environment is used; with its own sandbox the service
  // runs a simulator for each channel not configured, keeping what it was sent for people to look at.
  const realNotify = notifyChannelsFromEnv(process.env);
  const notifySims = simulator ? await simulateNotifyChannels() : undefined;
  const notify: Partial<Record<NotifyKind, NotifyChannel>> = {};
  for (const kind of NOTIFY_KINDS) {
    const channel = realNotify[kind] ?? notifySims?.channels[kind].adapter;
    if (channel) notify[kind] = channel;
  }
  const tenders: Record<string, PaymentChannel> = {};
  for (const [tender, p] of payments) tenders[tender] = p.adapter;
  // The key that seals shop credentials: AFTERSALES_SECRET_KEY, or the embedded database's key file.
  const secrets = loadKeyring(config.databaseUrl ? {} : { dataDir: config.dataDir });
  const paymentTaken = (p: PaymentTaken) => payments.get(p.tender)?.paymentTaken?.(p);
  const ctx: FlowContext = {
    db: store.db,
    now: () => new Date(),
    payments: createPaymentRegistry(
      {
        ...tenders,
        // Tender "platform": the marketplace holds the money, so a refund is agreeing the buyer's request there.
        platform: platformPayChannel({ connect: (shop) => shopClient(ctx, shop), fallback: sandbox }),
        // Money that moves by hand: finance records the transfer's reference.
        bank_transfer: offlineChannel("bank_transfer"),
        wallet: offlineChannel("wallet"),
        // Points and store coupons go back in the merchant's member system; whoever re-credits them there
        // records the reference (the legs of a split refund that are not money).
        points: offlineChannel("points"),
        coupon: offlineChannel("coupon"),
      },
      sandbox,
    ),
    settings: { ...DEFAULT_SETTINGS, refundSendGraceMs: config.refundSendGraceMs },
    notify,
    ...(logistics ? { logistics: logistics.channels } : {}),
    ...(secrets ? { secrets } : {}),
    ...([...payments.values()].some((p) => p.paymentTaken) ? { paymentTaken } : {}),
  };
  const platforms = new Map<string, PlatformSimulator>();
  return {
    store,
    ctx,
    simulator,
    simulators: {
      payments,
      ...(logistics ? { logistics } : {}),
      platforms,
    },
    paymentTaken,
    async simulatePlatform(shopId, channel) {
      const start = SIMULATORS[channel];
      if (!start) throw new Error(`There is no simulator for the ${channel} channel`);
      const stateFile = config.databaseUrl
        ? {}
        : { stateFile: join(config.dataDir, `platform-${shopId}-simulator.json`) };
      const sim = await start({ port: 0, channel, ...stateFile });
      platforms.set(shopId, sim);
      // Saved on every start: a restarted simulator listens on a new port, so the gateway moves.
      await saveCredentials(ctx.db, ctx.secrets, shopId, { gateway: sim.url, ...sim.credentials }, ctx.now());
      return sim;
    },
    listening(url) {
      for (const p of payments.values()) p.listening?.(url);
      logistics?.setCallbackBase(url);
    },
    describeSimulators() {
      return [
        ...(simulator ? [`sandbox pay ${simulator.url}`] : []),
        ...[...payments].map(([tender, p]) => `${PAYMENT_CHANNELS[tender]?.label ?? tender} ${p.url}`),
        ...(logistics ? [`Kuaidi100 + carrier interception ${logistics.kuaidi100.url}`] : []),
        ...[...platforms].map(([shop, sim]) => `${sim.channel} ${sim.url} (shop ${shop})`),
        // What the customers were sent, to look at in a browser.
        ...(Object.entries(notifySims?.channels ?? {}) as [NotifyKind, SimulatedNotify][])
          .filter(([kind]) => !realNotify[kind])
          .map(([kind, sim]) => `${NOTIFY_CHANNELS[kind].label}: what customers were sent ${sim.url}/_sim/`),
      ];
    },
    async close() {
      await Promise.all([...platforms.values()].map((p) => p.close()));
      await logistics?.close();
      await notifySims?.close();
      await Promise.all([...payments.values()].map((p) => p.close()));
      await simulator?.close();
      await store.close();
    },
  };
}

/** `aftersales start`: the HTTP API and, unless turned off, the outbox dispatcher in one process. */
export async function startService(config: Config, rt: Runtime) {
  const app = await buildServer({
    ctx: rt.ctx,
    dbKind: rt.store.kind,
    changes: rt.store.changes,
    logger: config.logger,
    publicDocs: config.publicDocs,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  rt.listening(url);
  // The outbox and periodic jobs run in this process unless turned off (separate `aftersales worker`s).
  const workers = config.dispatcher ? startWorkers(rt.ctx, { leaseMs: config.outboxLeaseMs }) : undefined;
  return {
    app,
    url,
    async close() {
      await workers?.stop();
      await app.close();
    },
  };
}
