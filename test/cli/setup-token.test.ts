import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/db.ts";
import { freshStore, usingPostgres } from "../support/db.ts";
import { TEMPLATE_FILE } from "../support/env.ts";
import { eventually, startServiceProcess } from "../support/process.ts";

/**
 * Finding 9: the way in without the demo — a setup token printed on the first start only, and
 * `aftersales admin` on the database (or through the running service that holds it).
 * Two service starts and a few CLI processes: a minute on a quiet machine.
 */
let dir: string;
let dbEnv: Record<string, string>;
let pgStore: Store | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aftersales-setup-"));
  if (usingPostgres) {
    pgStore = await freshStore();
    dbEnv = { DATABASE_URL: (pgStore as Store & { url: string }).url };
  } else {
    const dataDir = join(dir, "data");
    const store = await openStore({
      dataDir,
      loadDataDir: new Blob([readFileSync(TEMPLATE_FILE)]),
      migrate: false,
    });
    await store.close();
    dbEnv = { DATA_DIR: dataDir };
  }
}, 120_000);
afterAll(async () => {
  await pgStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...dbEnv, AFTERSALES_DEMO: "0", AFTERSALES_LANG: "en" });

function aftersales(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      { env: { ...process.env, ...env() }, timeout: 180_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

const tokenIn = (text: string) => /\bas_[\w-]{20,}/.exec(text)?.[0];

/** The token routes: GET lists, POST creates (`body`), DELETE revokes (`body` is the id). */
async function api(url: string, token: string, method = "GET", body?: unknown) {
  const r = await fetch(`${url}/api/v1/tokens${method === "DELETE" ? `/${body}` : ""}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
    },
    ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as { items: { id: number; name: string }[] } };
}

describe("an installation without the demo", () => {
  it("prints a setup token on its first start only, and aftersales admin makes and revokes tokens", async () => {
    // First start: the one-time setup token.
    let svc = await startServiceProcess(env());
    let setup: string | undefined;
    try {
      // The banner goes on after the API's address.
      const first = svc;
      await eventually(async () => (/Simulators on loopback/.test(first.output()) ? true : undefined));
      expect(svc.output()).toMatch(/Setup token \(admin, token \d+; shown this once/);
      expect(svc.output()).toContain(`Console:  ${svc.url}/`);
      expect(svc.output()).toMatch(/No console accounts yet: .*\n.*aftersales admin create-user --login/);
      setup = tokenIn(svc.output()) as string;
      expect(setup).toBeDefined();
      const made = await api(svc.url, setup, "POST", { name: "ops", role: "supervisor" });
      expect(made).toMatchObject({ status: 201, body: { role: "supervisor", shops: null } });
      // The CLI while the service holds the database: through the service, not DATA_DIR_LOCKED.
      const viaService = await aftersales(
        "admin",
        "create-token",
        "--name",
        "night-shift",
        "--role",
        "reviewer",
      );
      expect(viaService.code, viaService.stderr).toBe(0);
      const nightShift = tokenIn(viaService.stdout) as string;
      expect((await api(svc.url, nightShift, "GET")).status).toBe(403); // a reviewer may not manage tokens
      // A console account through the service: its password printed once, and it signs in.
      const person = await aftersales("admin", "create-user", "--login", "Ops.Lead", "--name", "运营主管");
      expect(person.code, person.stderr).toBe(0);
      expect(person.stdout).toMatch(
        /User \d+ "ops.lead" \(运营主管\): role admin, every shop\. Their password/,
      );
      const password = person.stdout.trim().split("\n").at(-1) as string;
      const signIn = await fetch(`${svc.url}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "ops.lead", password }),
      });
      expect(signIn.status).toBe(200);
      expect(signIn.headers.get("set-cookie")).toMatch(/^aftersales_session=[\w-]+;.*HttpOnly/);
      const list = await api(svc.url, setup, "GET");
      expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(
        expect.arrayContaining(["setup", "ops", "night-shift"]),
      );
    } finally {
      await svc.stop();
    }

    // Second start: no new setup token; the first one still works until revoked.
    svc = await startServiceProcess(env());
    try {
      const second = svc;
      await eventually(async () => (/Simulators on loopback/.test(second.output()) ? true : undefined));
      expect(svc.output()).not.toMatch(/Setup token/);
      const setupId = (await api(svc.url, setup as string, "GET")).body.items.find(
        (t) => t.name === "setup",
      )?.id;
      expect((await api(svc.url, setup as string, "DELETE", setupId)).status).toBe(200);
      expect((await api(svc.url, setup as string, "GET")).status).toBe(401);
    } finally {
      await svc.stop();
    }

    // The CLI on the database itself: create, list, revoke (a mistake is refused before opening it).
    const made = await aftersales("admin", "create-token", "--name", "finance-1", "--role", "finance");
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/role finance, every shop/);
    const badRole = await aftersales("admin", "create-token", "--name", "x", "--role", "owner");
    expect(badRole.stderr).toMatch(/INVALID_ARGUMENTS/);
    const reviewer = await aftersales(
      "admin",
      "create-user",
      "--login",
      "rev-1",
      "--role",
      "reviewer",
      "--shops",
      "a,b",
    );
    expect(reviewer.code).toBe(1);
    expect(reviewer.stderr).toMatch(/SHOP_NOT_FOUND/);
    const taken = await aftersales("admin", "create-user", "--login", "ops.lead");
    expect(taken.stderr).toMatch(/USER_EXISTS/);
    const noLogin = await aftersales("admin", "create-user", "--role", "reviewer");
    expect(noLogin.stderr).toMatch(/create-user needs --login/);
    const listed = await aftersales("admin", "tokens");
    expect(listed.stdout).toMatch(/setup\s+admin\s+every shop.*revoked/);
    const id = /(\d+)\s+finance-1/.exec(listed.stdout)?.[1];
    const revoked = await aftersales("admin", "revoke-token", id as string);
    expect(revoked.stdout).toMatch(/is revoked/);
  }, 420_000);
});
