/** The service under test as a child process (its CPU apart from the load generator's), and its database. */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChildService {
  url: string;
  pid: number;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** `aftersales start --no-demo` on a free port; resolves once it answers /healthz. */
export async function startChild(
  env: NodeJS.ProcessEnv,
  profileDir: string | undefined,
): Promise<ChildService> {
  const proc = spawn(
    process.execPath,
    [
      ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []),
      join(ROOT, "src/cli/main.ts"),
      "start",
      "--no-demo",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the service did not start within 120 s:\n${output}`)),
      120_000,
    );
    const onData = () => {
      const m = /API:\s+(http:\/\/\S+?)\/api\/v1/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        resolve(m[1]);
      }
    };
    proc.stdout?.on("data", onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before it was ready:\n${output}`));
    });
  });
  const health = await fetch(`${url}/healthz`);
  if (!health.ok) throw new Error(`${url}/healthz answered ${health.status}`);
  return {
    url,
    pid: proc.pid as number,
    proc,
    log: () => output,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) {
        proc.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** DROP and CREATE `name` on the server `admin` points at; the new database's URL. */
export async function recreateDatabase(admin: URL, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin.href);
  url.pathname = `/${name}`;
  return url.href;
}

/** An open event stream (GET /api/v1/events), as a console keeps one: each change's data to `onChange`. */
export function watchEvents(
  base: string,
  token: string,
  onChange: (change: Record<string, unknown>, at: number) => void,
): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${base}/api/v1/events`,
      { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /events answered ${res.statusCode}`));
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
            const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
            buffer = buffer.slice(i + 2);
            if (data) onChange(JSON.parse(data), at);
          }
        });
        resolve({ close: () => req.destroy() });
      },
    );
    req.on("error", reject);
  });
}
