import { parseArgs } from "node:util";
import { usageError } from "./messages.ts";

/** Configuration by environment; command-line flags override. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  demo: boolean;
  /** An external sandbox payment simulator; when absent the service runs its own on loopback. */
  paySandboxUrl: string | undefined;
  /** PAY_SANDBOX_SECRET; absent: the installation's own, made at random on its first start. */
  paySandboxSecret: string | undefined;
  /** Outbox dispatcher in this process (embedded mode always; with PostgreSQL, `worker` can run it instead). */
  dispatcher: boolean;
  refundSendGraceMs: number;
  outboxLeaseMs: number;
  /** PostgreSQL connections this process may hold (AFTERSALES_DB_POOL). Several processes on one small
   * database server do better sharing the connections one would have than each holding that many. */
  dbPool: number;
  logger: boolean;
  /** Serve /api/docs without a token. */
  publicDocs: boolean;
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins: string[];
  /** AFTERSALES_TRUST_PROXY: "1" any proxy, or the proxies' addresses/CIDRs, comma-separated; none by default. */
  trustProxy: boolean | string[];
  /** `demo --history N`: generate a labelled history of N decided cases instead of the demo. */
  history: number | undefined;
  /** The demo's or the history's seed; each has its own default. */
  seed: number | undefined;
  /** `demo --history`: the shop the history goes into (default history-tmall). */
  shop: string | undefined;
}

function trustedProxies(value: string | undefined): boolean | string[] {
  if (!value || value === "0") return false;
  if (value === "1" || value === "true") return true;
  return value
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
}

export function readConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      demo: { type: "boolean" },
      "no-demo": { type: "boolean" },
      "no-dispatcher": { type: "boolean" },
      log: { type: "boolean" },
      history: { type: "string" },
      seed: { type: "string" },
      shop: { type: "string" },
    },
  });
  const config: Config = {
    port: Number(values.port ?? env.PORT ?? 8080),
    host: values.host ?? env.HOST ?? "127.0.0.1",
    dataDir: values["data-dir"] ?? env.DATA_DIR ?? "./data",
    databaseUrl: values["database-url"] ?? (env.DATABASE_URL || undefined),
    demo: values["no-demo"] ? false : (values.demo ?? env.AFTERSALES_DEMO !== "0"),
    paySandboxUrl: env.PAY_SANDBOX_URL || undefined,
    paySandboxSecret: env.PAY_SANDBOX_SECRET || undefined,
    dispatcher: !values["no-dispatcher"] && env.AFTERSALES_DISPATCHER !== "0",
    refundSendGraceMs: Number(env.AFTERSALES_REFUND_GRACE_MS ?? 15_000),
    outboxLeaseMs: Number(env.AFTERSALES_OUTBOX_LEASE_MS ?? 60_000),
    dbPool: Number(env.AFTERSALES_DB_POOL ?? 10),
    logger: values.log ?? env.AFTERSALES_LOG === "1",
    publicDocs: env.AFTERSALES_PUBLIC_DOCS === "1",
    corsOrigins: (env.AFTERSALES_CORS_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: trustedProxies(env.AFTERSALES_TRUST_PROXY),
    history: values.history === undefined ? undefined : Number(values.history),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    shop: values.shop,
  };
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    const value = values.port ?? env.PORT;
    throw usageError(`PORT must be a port number, got "${value}"`, "port", { value });
  }
  // An external sandbox checks our signatures with the secret it was given; ours would not match.
  if (config.paySandboxUrl && !config.paySandboxSecret) {
    throw usageError(
      "PAY_SANDBOX_URL needs PAY_SANDBOX_SECRET, the secret that sandbox signs with",
      "needs_option",
      {
        option: "PAY_SANDBOX_URL",
        needs: "PAY_SANDBOX_SECRET",
      },
    );
  }
  if (config.history !== undefined && (!Number.isSafeInteger(config.history) || config.history < 1)) {
    throw usageError(
      `--history must be a positive whole number of cases, got "${values.history}"`,
      "positive_integer",
      { option: "--history", value: values.history },
    );
  }
  if (!Number.isSafeInteger(config.dbPool) || config.dbPool < 1) {
    throw usageError(
      `AFTERSALES_DB_POOL must be a positive whole number of connections, got "${env.AFTERSALES_DB_POOL}"`,
      "positive_integer",
      { option: "AFTERSALES_DB_POOL", value: env.AFTERSALES_DB_POOL },
    );
  }
  if (config.seed !== undefined && !Number.isSafeInteger(config.seed)) {
    throw usageError(`--seed must be a whole number, got "${values.seed}"`, "integer", {
      option: "--seed",
      value: values.seed,
    });
  }
  return { config, positionals };
}
