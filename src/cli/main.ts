import { AppError } from "../domain/errors.ts";
import { issueSetupToken } from "../flows/tokens.ts";
import { dispatchOnce } from "../jobs/dispatcher.ts";
import { startWorkers } from "../jobs/workers.ts";
import { openStore } from "../store/db.ts";
import { stopOrphanedRuns } from "../store/imports.ts";
import { migrate } from "../store/migrate.ts";
import { createToken } from "../store/tokens.ts";
import { anyUser } from "../store/users.ts";
import { readConfig } from "./config.ts";
import { publishLocalService } from "./local-service.ts";
import { formatError, usageError } from "./messages.ts";
import { openRuntime, startService } from "./service.ts";

const USAGE = `Usage: aftersales <command> [options]

Commands:
  start     Run the API (and the outbox dispatcher); loads the demo into an empty database
  migrate   Apply database migrations and exit
  demo      Load the demo data (shops, orders, cases in every state) and exit
            demo --history N [--seed S] [--shop ID]: instead, write a year of labelled after-sales
            history — N cases that people approved or rejected, with planted abuse and quality
            patterns — into its own Tmall shop, for \`rules backtest\` (docs/history.md)
  worker    Run the outbox dispatcher alone (PostgreSQL; run as many as you like)
  bench     Run the HTTP flow benchmark (see bench/README)
  import    \`import orders <file.csv|xlsx>\`: import order history and its refunds (aftersales import help)
  rules     Rule set versions: list, show, import, activate, export, backtest (aftersales rules help)
  admin     API tokens: create-token --name N [--role R] [--shops a,b], tokens, revoke-token ID;
            console accounts: create-user --login L [--role R] [--name N] [--shops a,b] (aftersales admin help)
  alerts    \`alerts scan\`: raise quality alerts for SKUs and categories whose refund rate jumped
  sync      One pass of the platform sync over connected shops (--shop ID for one), with counts
  reconcile [--channel C] [--date YYYY-MM-DD] [--file bill]: compare a payment channel's refund bill
            with our refunds and print the problems (docs/reconciliation.md)
  simulate  \`simulate <channel> [--port N] [--push URL] [--state FILE]\`: run a platform's simulator and print its credentials

Options (environment in brackets):
  --port N            [PORT]          HTTP port, default 8080
  --data-dir DIR      [DATA_DIR]      embedded database directory, default ./data
  --database-url URL  [DATABASE_URL]  use PostgreSQL instead of the embedded database
  --no-demo           [AFTERSALES_DEMO=0]  start empty
`;

async function main(argv: string[]) {
  // The benchmark reads its own options (--flows, --clients, --db, …) from the command line.
  if (argv[0] === "bench") {
    await import("../../bench/run.ts");
    return;
  }
  // So do the rule commands (--version, --file, --json, …); they pass the database options on to readConfig.
  if (argv[0] === "rules") {
    const { runRules } = await import("./rules.ts");
    await runRules(argv.slice(1));
    return;
  }
  // So does reconciliation (--channel, --date, --file).
  if (argv[0] === "reconcile") {
    const { runReconcile } = await import("./reconcile.ts");
    await runReconcile(argv.slice(1));
    return;
  }
  // So does the importer (--shop, --preset, --mapping, …).
  if (argv[0] === "import") {
    const { runImport } = await import("./import.ts");
    await runImport(argv.slice(1));
    return;
  }
  // So do the token and account commands (--name, --role, --shops, --login).
  if (argv[0] === "admin") {
    const { runAdmin } = await import("./admin.ts");
    await runAdmin(argv.slice(1));
    return;
  }
  // So does the platform simulator (--port, --push, …).
  if (argv[0] === "simulate") {
    const { runSimulate } = await import("./platforms.ts");
    await runSimulate(argv.slice(1));
    return;
  }
  // No command, or asking for help, prints the usage: a server starts only when asked for (`start`).
  if (argv.length === 0 || argv[0] === "help" || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const { config, positionals } = readConfig(argv);
  const command = positionals[0] ?? "help";
  switch (command) {
    case "start": {
      const rt = await openRuntime(config);
      const hasShops = await rt.store.db.selectFrom("shops").select("id").limit(1).executeTakeFirst();
      if (config.demo && !hasShops) {
        console.log("Loading demo data…");
        const { loadDemo } = await import("./demo.ts");
        const summary = await loadDemo(rt.ctx, {
          progress: (m) => process.stdout.write(`\r${m}   `),
        });
        process.stdout.write("\n");
        console.log(summary.text);
      }
      const admin = await rotateDemoAdmin(rt, config.demo);
      // The demo's accounts sign in with a published password: only where the demo's own shops are.
      const demo = config.demo ? await import("./demo.ts") : undefined;
      const demoUsers = demo && (await demo.isDemoLoaded(rt.ctx)) ? demo : undefined;
      await demoUsers?.ensureDemoUsers(rt.ctx);
      // Without the demo, an installation that has never had a token gets one admin token, printed once.
      const setup = config.demo ? undefined : await issueSetupToken(rt.ctx);
      const platform = await simulateDemoPlatform(rt, config.demo);
      // Imports a killed process left "running" are not: nothing else can have this database open.
      if (rt.store.kind === "pglite") await stopOrphanedRuns(rt.store.db, new Date());
      const svc = await startService(config, rt);
      // While it holds the embedded database, CLI commands work through it (cli/local-service.ts).
      const unpublish =
        rt.store.kind === "pglite"
          ? await publishLocalService(rt.store.db, config.dataDir, svc.url)
          : undefined;
      console.log(
        `\nAftersales is running on ${rt.store.kind === "pglite" ? `the embedded database in ${config.dataDir}` : "PostgreSQL"}`,
      );
      console.log(`  Console:  ${svc.url}/`);
      console.log(`  API:      ${svc.url}/api/v1`);
      console.log(`  API docs: ${svc.url}/api/docs`);
      if (admin) console.log(`  Admin token (demo): ${admin}`);
      if (demoUsers) {
        console.log("  Console sign-ins (demo; login, role, password):");
        for (const u of demoUsers.DEMO_USERS)
          console.log(`    ${u.login.padEnd(11)} ${u.role.padEnd(11)} ${demoUsers.DEMO_PASSWORD}`);
      } else if (!(await anyUser(rt.store.db))) {
        console.log(
          "  No console accounts yet: an admin creates them in the console, or here with\n" +
            "    aftersales admin create-user --login <login> --role admin   (prints its password once)",
        );
      }
      if (setup) {
        console.log(`  Setup token (admin, token ${setup.id}; shown this once, never again): ${setup.token}`);
        console.log(
          `    Make your own tokens with it (POST /api/v1/tokens), then revoke it: DELETE /api/v1/tokens/${setup.id}`,
        );
      }
      const sims = rt.describeSimulators();
      if (sims.length) console.log(`  Simulators on loopback:\n${sims.map((s) => `    ${s}`).join("\n")}`);
      if (platform) console.log(`  ${platform}`);
      const stop = async () => {
        await unpublish?.();
        await svc.close();
        await rt.close();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      return;
    }
    case "migrate": {
      const rt = await openRuntime({ ...config, paySandboxUrl: "http://127.0.0.1:9" });
      const applied = await migrate(rt.store.db);
      console.log(applied.length ? `Applied ${applied.join(", ")}` : "Database is up to date");
      await rt.close();
      return;
    }
    case "demo": {
      if (config.history !== undefined) {
        const store = await openStore(
          config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir },
        );
        try {
          const { generateHistory } = await import("./history.ts");
          const summary = await generateHistory(store.db, {
            cases: config.history,
            ...(config.seed !== undefined ? { seed: config.seed } : {}),
            ...(config.shop !== undefined ? { shop: config.shop } : {}),
            progress: (m) => process.stdout.write(`\r${m.padEnd(72)}`),
          });
          process.stdout.write("\n");
          console.log(summary.text);
        } finally {
          await store.close();
        }
        return;
      }
      const rt = await openRuntime(config);
      const { loadDemo } = await import("./demo.ts");
      const summary = await loadDemo(rt.ctx, {
        ...(config.seed !== undefined ? { seed: config.seed } : {}),
        progress: (m) => process.stdout.write(`\r${m}   `),
      });
      process.stdout.write("\n");
      console.log(summary.text);
      await dispatchOnce(rt.ctx);
      await rt.close();
      return;
    }
    case "worker": {
      if (!config.databaseUrl) {
        throw new AppError(
          "WORKER_NEEDS_POSTGRES",
          "The embedded database runs its dispatcher inside `aftersales start`; set DATABASE_URL to run separate workers",
        );
      }
      const rt = await openRuntime(config);
      const workers = startWorkers(rt.ctx, { leaseMs: config.outboxLeaseMs });
      console.log(`Worker ${process.pid} running: ${workers.names.join(", ")}`);
      const stop = async () => {
        await workers.stop();
        await rt.close();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      return;
    }
    case "sync": {
      const { runSync } = await import("./platforms.ts");
      await runSync(config);
      return;
    }
    case "alerts": {
      const { runAlerts } = await import("./alerts.ts");
      await runAlerts(config, positionals.slice(1));
      return;
    }
    case "help":
    case "--help":
      console.log(USAGE);
      return;
    default:
      console.error(
        `${formatError(usageError(`Unknown command "${command}"`, "unknown_command", { command }))}\n\n${USAGE}`,
      );
      process.exitCode = 2;
  }
}

/** The demo prints a fresh admin token each start; earlier demo tokens are revoked. */
async function rotateDemoAdmin(rt: Awaited<ReturnType<typeof openRuntime>>, demo: boolean) {
  if (!demo) return undefined;
  await rt.store.db
    .updateTable("api_tokens")
    .set({ revoked_at: new Date() })
    .where("name", "=", "demo-admin")
    .where("revoked_at", "is", null)
    .execute();
  return (await createToken(rt.store.db, { name: "demo-admin", role: "admin" })).token;
}

/**
 * The demo's marketplace shops (Tmall, JD, PDD, Douyin, WeChat Channels, Shopify) each run against a
 * simulated marketplace that this process starts (on the embedded database each keeps its state in
 * DATA_DIR, so a restart carries on with the same shop; every start saves the simulator's new address):
 * a few new buyer orders and requests are placed on each and arrive through the platform sync, and our
 * decisions go back there. Needs the shops (the demo loaded) and a key to seal credentials.
 */
async function simulateDemoPlatform(rt: Awaited<ReturnType<typeof openRuntime>>, demo: boolean) {
  if (!demo || !rt.simulator || !rt.ctx.secrets) return undefined;
  const { DEMO_PLATFORM_SHOPS, DEMO_RETURN_ADDRESS, seedDemoPlatform } = await import("./demo-platform.ts");
  const { startSyncAt } = await import("../flows/sync-platform.ts");
  const { getReturnAddress, setReturnAddress } = await import("../flows/platform-decision.ts");
  const present = await rt.store.db
    .selectFrom("shops")
    .select(["id", "channel"])
    .where(
      "id",
      "in",
      DEMO_PLATFORM_SHOPS.map((s) => s.id),
    )
    .execute();
  const shops = DEMO_PLATFORM_SHOPS.filter((s) =>
    present.some((p) => p.id === s.id && p.channel === s.channel),
  );
  if (!shops.length) return undefined;
  const now = rt.ctx.now();
  // Started side by side: each simulator is an HTTP server on loopback and its state file.
  const seeded = await Promise.all(
    shops.map(async (shop) => {
      const sim = await rt.simulatePlatform(shop.id, shop.channel);
      // Nothing on a fresh simulated marketplace is older than this start: the first pass pulls an hour.
      await startSyncAt(rt.ctx, shop.id, new Date(now.getTime() - 3_600_000));
      // Approved returns tell the platform where to send the goods; the merchant may have set their own.
      if (!(await getReturnAddress(rt.ctx, shop.id)))
        await setReturnAddress(rt.ctx, shop.id, { ...DEMO_RETURN_ADDRESS });
      return seedDemoPlatform(sim, now, shop);
    }),
  );
  const orders = seeded.reduce((n, s) => n + s.orders, 0);
  const requests = seeded.reduce((n, s) => n + s.requests, 0);
  return `Simulated marketplaces: ${orders} new orders and ${requests} buyer requests on ${shops.length} shops, arriving by the platform sync (every minute)`;
}

main(process.argv.slice(2)).catch((e) => {
  console.error(formatError(e));
  process.exit(1);
});
