import { userInfo } from "node:os";
import { ROLE_NAMES } from "../api/auth.ts";
import type { Actor } from "../flows/context.ts";
import { createApiToken, listApiTokens, revokeApiToken, type TokenScope } from "../flows/tokens.ts";
import { createUser, type UserJson } from "../flows/users.ts";
import { generatePassword } from "../store/passwords.ts";
import { readConfig } from "./config.ts";
import { localOrService } from "./local-service.ts";
import { usageError } from "./messages.ts";
import { openRuntime } from "./service.ts";

const USAGE = `Usage: aftersales admin <command> [--data-dir DIR | --database-url URL]

  create-token --name N [--role admin] [--shops a,b]
               Make an API token and print it (its secret is shown this once). Without --shops it
               may act on every shop. Roles: ${ROLE_NAMES.join(", ")}.
  tokens       List the tokens (never their secrets)
  revoke-token ID
               Revoke a token: its next request is refused
  create-user --login L [--role admin] [--name N] [--shops a,b]
               Make a console account and print its password (shown this once; the person can
               change it in the console). Without --shops it sees every shop.

Works on the database directly — the way in for an installation without the demo. While
\`aftersales start\` holds the embedded database, it works through the running service instead.`;
const HELP = "aftersales admin help";

/** Whoever has the database has the installation: every role, every shop. */
const OWNER: TokenScope = { roles: ROLE_NAMES, shops: null };
const actor = (): Actor => ({ kind: "system", id: `cli/${userInfo().username}` });

/** Own options out; the rest (--data-dir, --database-url…) goes to readConfig. */
function split(args: string[]) {
  const own: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const name = /^--(name|role|shops|login)(?:=(.*))?$/.exec(a);
    if (!name) {
      rest.push(a);
      continue;
    }
    const value = name[2] ?? args[++i];
    if (value === undefined)
      throw usageError(`--${name[1]} needs a value`, "needs_value", { option: a }, HELP);
    own[name[1] as string] = value;
  }
  return { own, rest };
}

interface TokenView {
  id: number;
  name: string;
  role: string;
  shops: string[] | null;
  createdAt: string | Date;
  lastUsedAt: string | Date | null;
  revokedAt: string | Date | null;
}

const when = (d: string | Date | null) =>
  d ? new Date(d).toISOString().slice(0, 16).replace("T", " ") : "—";
const shopsText = (s: string[] | null) => (s ? s.join(",") : "every shop");

/** `aftersales admin …`: API tokens and console accounts from the command line. */
export async function runAdmin(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  if (!["create-token", "tokens", "revoke-token", "create-user"].includes(command))
    throw usageError(
      `Unknown command "admin ${command}"`,
      "unknown_command",
      { command: `admin ${command}` },
      HELP,
    );
  const { own, rest } = split(args);
  const { config, positionals } = readConfig(rest);
  let id: number | undefined;
  if (command === "revoke-token") {
    id = Number(positionals[0]);
    if (positionals.length !== 1 || !Number.isSafeInteger(id) || id < 1)
      throw usageError(
        "revoke-token needs the token's id",
        "needs_args",
        { command: "admin revoke-token", args: "ID" },
        HELP,
      );
  } else if (positionals.length > 0) {
    throw usageError(`Unexpected "${positionals[0]}"`, "unexpected", { value: positionals[0] }, HELP);
  }
  const role = own.role ?? "admin";
  if (command === "create-token" || command === "create-user") {
    const needs = command === "create-token" ? "name" : "login";
    if (!own[needs])
      throw usageError(
        `${command} needs --${needs}`,
        "needs_option",
        { option: command, needs: `--${needs}` },
        HELP,
      );
    if (!ROLE_NAMES.includes(role))
      throw usageError(
        `--role is one of ${ROLE_NAMES.join(", ")}`,
        "one_of",
        { option: "--role", allowed: ROLE_NAMES },
        HELP,
      );
  }
  const shops =
    own.shops === undefined
      ? undefined
      : own.shops
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);

  // The running service holds the embedded database: the same work goes through its API.
  const opened = await localOrService(config, () =>
    openRuntime({ ...config, paySandboxUrl: config.paySandboxUrl ?? "http://127.0.0.1:9" }),
  );
  const input = { name: own.name ?? "", role, ...(shops ? { shops } : {}) };
  const account = {
    login: own.login ?? "",
    name: own.name ?? own.login ?? "",
    password: generatePassword(),
    role,
    shops: shops ?? null,
  };
  const run = {
    create: (): Promise<TokenView & { token: string }> =>
      opened.service
        ? opened.service.request("POST", "/api/v1/tokens", { json: input })
        : createApiToken(opened.local.ctx, actor(), OWNER, input),
    list: (): Promise<TokenView[]> =>
      opened.service
        ? opened.service
            .request<{ items: TokenView[] }>("GET", "/api/v1/tokens?limit=200")
            .then((r) => r.items)
        : listApiTokens(opened.local.ctx, OWNER).then((r) => r.items),
    revoke: (n: number): Promise<TokenView> =>
      opened.service
        ? opened.service.request("DELETE", `/api/v1/tokens/${n}`)
        : revokeApiToken(opened.local.ctx, actor(), OWNER, n),
    createUser: (): Promise<UserJson> =>
      opened.service
        ? opened.service.request("POST", "/api/v1/users", { json: account })
        : createUser(opened.local.ctx, actor(), OWNER, account),
  };
  try {
    if (command === "create-token") {
      const t = await run.create();
      console.log(
        `Token ${t.id} "${t.name}": role ${t.role}, ${shopsText(t.shops)}. Keep it now; it is not shown again:`,
      );
      console.log(t.token);
    } else if (command === "tokens") {
      for (const t of await run.list()) {
        const state = t.revokedAt ? `revoked ${when(t.revokedAt)}` : `last used ${when(t.lastUsedAt)}`;
        console.log(
          `${String(t.id).padStart(5)}  ${t.name.padEnd(20)} ${t.role.padEnd(11)} ${shopsText(t.shops).padEnd(24)} created ${when(t.createdAt)}  ${state}`,
        );
      }
    } else if (command === "create-user") {
      const u = await run.createUser();
      console.log(
        `User ${u.id} "${u.login}" (${u.name}): role ${u.role}, ${shopsText(u.shops)}. Their password, shown this once (they can change it in the console):`,
      );
      console.log(account.password);
    } else {
      const t = await run.revoke(id as number);
      console.log(`Token ${t.id} "${t.name}" is revoked (${when(t.revokedAt)}).`);
    }
  } finally {
    await opened.local?.close();
  }
}
