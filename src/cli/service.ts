import { buildServer } from "../api/server.ts";
import { platformPayChannel } from "../channels/payments/platform.ts";
import { createPaymentRegistry } from "../channels/payments/registry.ts";
import { sandboxPayChannel } from "../channels/payments/sandbox.ts";
import {
  type SandboxPaySimulator,
  startSandboxPaySimulator,
} from "../channels/payments/sandbox-simulator.ts";
import { DEFAULT_SETTINGS, type FlowContext } from "../flows/context.ts";
import { shopClient } from "../flows/sync-platform.ts";
import { startWorkers } from "../jobs/workers.ts";
import { openStore, type Store } from "../store/db.ts";
import { loadKeyring } from "../store/secrets.ts";
import type { Config } from "./config.ts";

/** Everything a running process needs: the store, the channels and the flow context. */
export interface Runtime {
  store: Store;
  ctx: FlowContext;
  simulator: SandboxPaySimulator | undefined;
  close(): Promise<void>;
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const store = await openStore(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir },
  );
  // Until real payment adapters are configured every tender refunds through the sandbox channel,
  // which speaks a signed HTTP protocol to a simulator — the service's own unless one is given.
  const simulator = config.paySandboxUrl
    ? undefined
    : await startSandboxPaySimulator({ port: 0, secret: config.paySandboxSecret });
  const sandbox = sandboxPayChannel({
    name: "sandbox",
    url: config.paySandboxUrl ?? (simulator as SandboxPaySimulator).url,
    secret: config.paySandboxSecret,
    timeoutMs: 10_000,
  });
  // The key that seals shop credentials: AFTERSALES_SECRET_KEY, or the embedded database's key file.
  const secrets = loadKeyring(config.databaseUrl ? {} : { dataDir: config.dataDir });
  const ctx: FlowContext = {
    db: store.db,
    now: () => new Date(),
    payments: createPaymentRegistry(
      // Tender "platform": the marketplace holds the money, so a refund is agreeing the buyer's request there.
      { platform: platformPayChannel({ connect: (shop) => shopClient(ctx, shop), fallback: sandbox }) },
      sandbox,
    ),
    settings: { ...DEFAULT_SETTINGS, refundSendGraceMs: config.refundSendGraceMs },
    ...(secrets ? { secrets } : {}),
  };
  return {
    store,
    ctx,
    simulator,
    async close() {
      await simulator?.close();
      await store.close();
    },
  };
}

/** `aftersales start`: the HTTP API and, unless turned off, the outbox dispatcher in one process. */
export async function startService(config: Config, rt: Runtime) {
  const app = await buildServer({ ctx: rt.ctx, dbKind: rt.store.kind, logger: config.logger });
  await app.listen({ port: config.port, host: config.host });
  // The outbox and periodic jobs run in this process unless turned off (separate `aftersales worker`s).
  const workers = config.dispatcher ? startWorkers(rt.ctx, { leaseMs: config.outboxLeaseMs }) : undefined;
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return {
    app,
    url: `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`,
    async close() {
      await workers?.stop();
      await app.close();
    },
  };
}
