import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { AppError } from "../domain/errors.ts";
import { describeAction } from "../domain/rules/actions.ts";
import type { BacktestReport } from "../domain/rules/backtest.ts";
import { DEFAULT_RULE_SET } from "../domain/rules/default-rules.ts";
import { type ConditionNode, isLeaf, type RuleSetDefinition } from "../domain/rules/definition.ts";
import type { Issue } from "../domain/rules/issues.ts";
import { toLabel } from "../domain/rules/text.ts";
import { backtestRules } from "../flows/backtest.ts";
import type { Actor } from "../flows/context.ts";
import { activateRules, createRuleDraft } from "../flows/rules.ts";
import { findRuleVersion, listRuleVersions } from "../store/rules.ts";
import { readConfig } from "./config.ts";
import { localOrService, type ServiceClient } from "./local-service.ts";
import { usageError as cliUsageError, fromParseArgs } from "./messages.ts";
import { openRuntime, type Runtime } from "./service.ts";

/**
 * `aftersales rules …`: the rule set versions (规则版本) from the command line — list, show, import a
 * JSON file as a draft, activate, export, and backtest against the cases people decided.
 */

export const RULES_USAGE = `Usage: aftersales rules <command> [options]

Commands:
  list                          Every rule set version, newest first (--json)
  show <version>                One version: its rules and solutions in words (--json)
  import <file.json>            Save a rule set file as a new draft version (--note text)
  activate <version>            Make a version the live rule set (an earlier one too: a rollback)
  export                        Print the live rule set as JSON; --version N for another one,
                                --default for the rules a new merchant starts with
  backtest                      Replay a rule set over the cases people decided and compare:
                                the live one, --version N or --file draft.json;
                                --from ISO, --to ISO (when the case was opened); --json for the raw report

Start from the defaults:
  aftersales rules export --default > rules.json   # edit it, then
  aftersales rules import rules.json --note "first rules"
  aftersales rules backtest --version 1
  aftersales rules activate 1

The database options of \`aftersales\` apply (--data-dir, --database-url, DATA_DIR, DATABASE_URL).
`;

type OptionName = "note" | "version" | "file" | "from" | "to" | "json" | "default";
type Options = Partial<Record<OptionName, string | true>>;

/** The options of this command and whether each takes a value; everything else goes to readConfig. */
const OPTIONS: Record<OptionName, "string" | "boolean"> = {
  note: "string",
  version: "string",
  file: "string",
  from: "string",
  to: "string",
  json: "boolean",
  default: "boolean",
};

/** Per subcommand: how many arguments, and which options apply. */
const COMMANDS: Record<string, { args: string[]; options: OptionName[] }> = {
  list: { args: [], options: ["json"] },
  show: { args: ["version"], options: ["json"] },
  import: { args: ["file.json"], options: ["note"] },
  activate: { args: ["version"], options: [] },
  export: { args: [], options: ["version", "default"] },
  backtest: { args: [], options: ["version", "file", "from", "to", "json"] },
};

/** Take this command's own options out of argv; the rest (database options, positionals) stays. */
function splitOptions(argv: readonly string[]): { own: Options; rest: string[] } {
  const own: Options = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const name = m?.[1] as OptionName | undefined;
    if (!m || name === undefined || !Object.hasOwn(OPTIONS, name)) {
      rest.push(arg);
      continue;
    }
    if (OPTIONS[name] === "boolean") {
      if (m[2] !== undefined)
        throw usageError(`--${name} takes no value`, "takes_no_value", { option: `--${name}` });
      own[name] = true;
    } else if (m[2] !== undefined) {
      own[name] = m[2];
    } else {
      const value = argv[i + 1];
      if (value === undefined)
        throw usageError(`--${name} needs a value`, "needs_value", { option: `--${name}` });
      own[name] = value;
      i++;
    }
  }
  return { own, rest };
}

const usageError = (message: string, problem: string, details: Record<string, unknown> = {}) =>
  cliUsageError(`${message} (see: aftersales rules help)`, problem, details, "aftersales rules help");

const cliActor = (): Actor => {
  let name = "cli";
  try {
    name = `cli-${userInfo().username}`;
  } catch {
    // no user database entry (some containers): just "cli"
  }
  return { kind: "user", id: name };
};

function parseVersion(text: string | true | undefined, what = "version"): number {
  const n = typeof text === "string" && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new AppError(
      "INVALID_VERSION",
      `The ${what} must be a version number (1, 2, …), got "${text ?? ""}"`,
      { value: String(text ?? "") },
    );
  return n;
}

function parseInstant(text: string, option: string): string {
  const t = new Date(text);
  if (Number.isNaN(t.getTime()))
    throw new AppError(
      "INVALID_DATE",
      `--${option} must be a date or time such as 2026-10-01 or 2026-10-01T08:00:00+08:00, got "${text}"`,
      { option: `--${option}`, value: text },
    );
  return t.toISOString();
}

/** A rule set file: JSON that validates, or an error that names the file and every problem in it. */
export function readRuleSetFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      "RULES_FILE_UNREADABLE",
      code === "ENOENT" ? `${file}: no such file` : `${file}: ${(e as Error).message}`,
      { file },
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new AppError("RULES_FILE_NOT_JSON", `${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
}

/** RULES_INVALID again, with every problem on its own line (the domain's message shows five). */
async function explainInvalid<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== "RULES_INVALID") throw e;
    const errors = (e.details?.errors ?? []) as Issue[];
    const n = errors.length;
    const lines = errors.map((x) => `  ${x.path || "(the whole file)"}: ${x.message}`);
    throw new AppError(
      "RULES_INVALID",
      `${file} is not a valid rule set — ${n} problem${n === 1 ? "" : "s"}:\n${lines.join("\n")}`,
      { ...e.details, file },
    );
  }
}

// ─── formatting ─────────────────────────────────────────────────────────────────────────────────

const int = (n: number) => n.toLocaleString("en-US");
const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`);
const when = (d: Date | string | null) =>
  d === null ? "—" : `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** Columns padded to their widest cell; `right` columns (numbers) align right. */
function table(head: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** A condition as one line: `case.reason eq "quality" and parcel.status eq "signed"`. */
export function conditionText(node: ConditionNode, top = true): string {
  if (isLeaf(node)) {
    const window = node.window === undefined ? "" : `[${node.window}d]`;
    return `${node.field}${window} ${node.op} ${JSON.stringify(node.value)}`;
  }
  if ("not" in node) return `not (${conditionText(node.not, false)})`;
  const [kind, list] = "all" in node ? (["and", node.all] as const) : (["or", node.any] as const);
  if (list.length === 0) return "always";
  if (list.length === 1) return conditionText(list[0] as ConditionNode, top);
  const text = list.map((c) => conditionText(c, false)).join(` ${kind} `);
  return top ? text : `(${text})`;
}

type VersionRow = NonNullable<Awaited<ReturnType<typeof findRuleVersion>>>;

const definitionOf = (row: VersionRow) => row.definition as RuleSetDefinition;

function versionText(row: VersionRow): string {
  const def = definitionOf(row);
  const out = [`Rule set version ${row.version} — ${row.status}`];
  out.push(`  created ${when(row.created_at)} by ${row.created_by}`);
  if (row.activated_at) out.push(`  activated ${when(row.activated_at)} by ${row.activated_by ?? "—"}`);
  if (row.note) out.push(`  note: ${row.note}`);
  const enabled = def.rules.filter((r) => r.enabled !== false).length;
  out.push(
    `  currency ${def.currency ?? "CNY"}; ${def.rules.length} rules (${enabled} enabled), ${def.solutions.length} solutions`,
  );
  out.push("", "Rules, in evaluation order (highest priority first; the first that decides wins):");
  const rules = def.rules.map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.i - b.i);
  for (const { r } of rules) {
    const name = toLabel(r.name);
    out.push(
      `  ${String(r.priority).padStart(4)}  ${r.id}${r.enabled === false ? "  [disabled]" : ""}  ${name.en}${name.zh !== name.en ? ` · ${name.zh}` : ""}`,
    );
    out.push(`        when ${conditionText(r.when)}`);
    out.push(`        then ${r.then.map((a) => describeAction(a, "en")).join("; ")}`);
  }
  if (def.solutions.length > 0) {
    out.push("", "Solutions, when no matched rule recommends one (highest priority first):");
    const solutions = def.solutions
      .map((s, i) => ({ s, i }))
      .sort((a, b) => (b.s.priority ?? 0) - (a.s.priority ?? 0) || a.i - b.i);
    for (const { s } of solutions) {
      out.push(`  ${String(s.priority ?? 0).padStart(4)}  ${s.id} → ${s.solution}`);
      out.push(`        when ${conditionText(s.when)}`);
      out.push(`        why  ${s.why.en}`);
    }
  }
  return out.join("\n");
}

/** The backtest report as people read it. */
export function backtestText(report: BacktestReport, subject: string, maxDisagreements = 10): string {
  const r = report;
  const out = [
    `Backtest of ${subject} over ${int(r.cases)} case${r.cases === 1 ? "" : "s"} people decided`,
    "",
  ];
  const share = (n: number) => (r.cases === 0 ? "" : `${pct(n / r.cases)} of cases`);
  out.push(
    ...table(
      ["", "", ""],
      [
        ["cases", int(r.cases), ""],
        ["automated", int(r.automated), `automation rate ${pct(r.automationRate)}`],
        ["agreed", int(r.agreed), `agreement rate ${pct(r.agreementRate)} of automated`],
        ["false approvals", int(r.falseApprovals), "the rules approved, a person rejected"],
        ["false rejections", int(r.falseRejections), "the rules rejected, a person approved"],
        ["manual", int(r.manual), `left to people${share(r.manual) ? `, ${share(r.manual)}` : ""}`],
      ],
      [false, true, false],
    )
      .slice(1)
      .map((l) => `  ${l}`),
  );
  if (r.cases === 0) {
    out.push("", "No case in the range was decided by a person, so there is nothing to compare with.");
    return out.join("\n");
  }
  out.push("", "Per rule, in evaluation order:");
  out.push(
    ...table(
      ["rule", "hits", "decided", "agreed", "false approvals", "false rejections"],
      r.perRule.map((x) => [
        x.id,
        int(x.hits),
        int(x.decided),
        int(x.agreed),
        int(x.falseApprovals),
        int(x.falseRejections),
      ]),
      [false, true, true, true, true, true],
    ).map((l) => `  ${l}`),
  );
  const disagreements = r.falseApprovals + r.falseRejections;
  if (disagreements > 0) {
    const shown = r.disagreements.slice(0, maxDisagreements);
    out.push("", `First disagreements (${shown.length} of ${int(disagreements)}):`);
    for (const d of shown) {
      out.push(
        `  case ${d.caseId}: rule ${d.ruleId} would ${d.rule}, a person ${d.human === "approve" ? "approved" : "rejected"}`,
      );
    }
  }
  return out.join("\n");
}

/** Cases done of total and the rate, redrawn in place on a terminal, a line now and then otherwise. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr, label = "Backtest") {
  const t0 = performance.now();
  const tty = stream.isTTY === true;
  let lastLine = 0;
  let drawn = false;
  return {
    update(done: number, total: number) {
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? Math.round(done / s) : 0;
      const width = 24;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      const text = `${label} ${bar} ${int(done)}/${int(total)} cases  ${int(rate)} cases/s`;
      if (tty) {
        stream.write(`\r${text}\u001b[K`);
        drawn = true;
      } else if (done === total || performance.now() - lastLine > 1000) {
        stream.write(`${text}\n`);
        lastLine = performance.now();
      }
    },
    end() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}

// ─── the commands ───────────────────────────────────────────────────────────────────────────────

/** As withRuntime; when the running service holds the embedded database, `remote` works through it. */
async function withRuntimeOrService<T>(
  rest: string[],
  run: (rt: Runtime) => Promise<T>,
  remote: (svc: ServiceClient) => Promise<T>,
) {
  const { config } = readConfig(rest);
  const opened = await localOrService(config, () =>
    openRuntime({ ...config, paySandboxUrl: config.paySandboxUrl ?? "http://127.0.0.1:9" }),
  );
  if (opened.service) return remote(opened.service);
  try {
    return await run(opened.local);
  } finally {
    await opened.local.close();
  }
}

/** Rule set versions as the commands need them: read and written here, or through the running service. */
interface RuleVersions {
  list(): Promise<VersionRow[]>;
  find(n: number): Promise<VersionRow | undefined>;
  create(definition: unknown, note: string | undefined): Promise<VersionRow>;
  activate(n: number): Promise<VersionRow>;
}

function localVersions(rt: Runtime): RuleVersions {
  return {
    list: () => listRuleVersions(rt.ctx.db),
    find: (n) => findRuleVersion(rt.ctx.db, n),
    create: (definition, note) =>
      createRuleDraft(rt.ctx, cliActor(), note === undefined ? { definition } : { definition, note }),
    activate: (n) => activateRules(rt.ctx, cliActor(), n),
  };
}

/** The API's version JSON, as the row the commands print. */
type VersionJson = {
  version: number;
  status: string;
  note: string | null;
  createdBy: string;
  createdAt: string;
  activatedBy: string | null;
  activatedAt: string | null;
  definition: unknown;
};
const rowOf = (v: VersionJson) =>
  ({
    version: v.version,
    status: v.status,
    note: v.note,
    created_by: v.createdBy,
    created_at: new Date(v.createdAt),
    activated_by: v.activatedBy,
    activated_at: v.activatedAt === null ? null : new Date(v.activatedAt),
    definition: v.definition,
  }) as unknown as VersionRow;

function serviceVersions(svc: ServiceClient): RuleVersions {
  return {
    list: async () =>
      (await svc.request<{ versions: VersionJson[] }>("GET", "/api/v1/rules")).versions.map(rowOf),
    find: async (n) => {
      try {
        return rowOf(await svc.request<VersionJson>("GET", `/api/v1/rules/versions/${n}`));
      } catch (e) {
        if (e instanceof AppError && e.code === "RULE_VERSION_NOT_FOUND") return undefined;
        throw e;
      }
    },
    create: async (definition, note) =>
      rowOf(
        await svc.request<VersionJson>("POST", "/api/v1/rules/versions", {
          json: note === undefined ? { definition } : { definition, note },
        }),
      ),
    activate: async (n) =>
      rowOf(await svc.request<VersionJson>("POST", `/api/v1/rules/versions/${n}/activate`)),
  };
}

/** The rule versions of the database, here or — when the running service holds it — through its API. */
async function withVersions<T>(rest: string[], run: (v: RuleVersions, args: string[]) => Promise<T>) {
  const { positionals } = readConfig(rest);
  return withRuntimeOrService(
    rest,
    (rt) => run(localVersions(rt), positionals.slice(1)),
    (svc) => run(serviceVersions(svc), positionals.slice(1)),
  );
}

const noActiveRules = () =>
  new AppError(
    "NO_ACTIVE_RULES",
    "No rule set is active yet; give --version N, or start from the defaults: aftersales rules export --default",
  );

async function liveVersion(versions: RuleVersions): Promise<VersionRow> {
  const active = (await versions.list()).find((v) => v.status === "active");
  if (!active) throw noActiveRules();
  return active;
}

async function version(versions: RuleVersions, n: number): Promise<VersionRow> {
  const row = await versions.find(n);
  if (!row)
    throw new AppError("RULE_VERSION_NOT_FOUND", `Rule set version ${n} does not exist`, { version: n });
  return row;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

/** `aftersales rules <command> …`; argv is what follows "rules". */
export async function runRules(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    print(RULES_USAGE);
    return;
  }
  const { own, rest } = splitOptions(argv);
  // The subcommand is the first positional readConfig finds (database options may come first).
  let probe: string[];
  try {
    probe = readConfig(rest, {}).positionals;
  } catch (e) {
    throw fromParseArgs(e, "aftersales rules help");
  }
  const sub = probe[0];
  if (sub === undefined) {
    process.stderr.write(RULES_USAGE);
    process.exitCode = 2;
    return;
  }
  if (sub === "help") {
    print(RULES_USAGE);
    return;
  }
  const spec = COMMANDS[sub];
  if (!spec)
    throw usageError(`Unknown rules command "${sub}"`, "unknown_command", { command: `rules ${sub}` });
  const args = probe.slice(1);
  if (args.length !== spec.args.length) {
    const want = spec.args.map((a) => `<${a}>`).join(" ");
    throw args.length < spec.args.length
      ? usageError(`rules ${sub} needs ${want}`, "needs_args", { command: `rules ${sub}`, args: want })
      : usageError(`rules ${sub} takes ${want || "no arguments"}, got "${args.join(" ")}"`, "takes_args", {
          command: `rules ${sub}`,
          args: want,
          value: args.join(" "),
        });
  }
  for (const name of Object.keys(own) as OptionName[]) {
    if (!spec.options.includes(name))
      throw usageError(
        `--${name} does not apply to rules ${sub}${spec.options.length ? ` (it takes ${spec.options.map((o) => `--${o}`).join(", ")})` : ""}`,
        "not_applicable",
        { option: `--${name}`, command: `rules ${sub}` },
      );
  }

  switch (sub) {
    case "list":
      return withVersions(rest, async (versions) => {
        const rows = await versions.list();
        if (own.json) {
          printJson(
            rows.map((v) => ({
              version: v.version,
              status: v.status,
              rules: definitionOf(v).rules.length,
              note: v.note,
              createdBy: v.created_by,
              createdAt: v.created_at,
              activatedBy: v.activated_by,
              activatedAt: v.activated_at,
            })),
          );
          return;
        }
        if (rows.length === 0) {
          print(
            "No rule set versions yet. Start from the defaults:\n" +
              "  aftersales rules export --default > rules.json\n" +
              "  aftersales rules import rules.json",
          );
          return;
        }
        const lines = table(
          ["version", "status", "rules", "created", "by", "activated", "note"],
          rows.map((v) => [
            String(v.version),
            v.status,
            String(definitionOf(v).rules.length),
            when(v.created_at),
            v.created_by,
            when(v.activated_at),
            v.note ?? "",
          ]),
          [true, false, true],
        );
        print(lines.join("\n"));
      });
    case "show":
      return withVersions(rest, async (versions, [v]) => {
        const row = await version(versions, parseVersion(v));
        if (own.json) printJson({ ...row, definition: definitionOf(row) });
        else print(versionText(row));
      });
    case "import":
      return withVersions(rest, async (versions, [file]) => {
        const path = file as string;
        const definition = readRuleSetFile(path);
        const note = typeof own.note === "string" ? own.note : undefined;
        const row = await explainInvalid(path, () => versions.create(definition, note));
        const def = definitionOf(row);
        print(
          `Saved ${path} as draft version ${row.version} (${def.rules.length} rules, ${def.solutions.length} solutions).\n` +
            `  Backtest it: aftersales rules backtest --version ${row.version}\n` +
            `  Make it live: aftersales rules activate ${row.version}`,
        );
      });
    case "activate":
      return withVersions(rest, async (versions, [v]) => {
        const n = parseVersion(v);
        const before = (await versions.list()).find((x) => x.status === "active");
        if (before?.version === n) {
          print(`Version ${n} is already the live rule set.`);
          return;
        }
        const row = await versions.activate(n);
        print(
          `Version ${row.version} is now the live rule set${before ? ` (version ${before.version} retired)` : ""}; new cases are judged by it.`,
        );
      });
    case "export": {
      if (own.default && own.version)
        throw usageError("Give either --default or --version, not both", "either_or", {
          options: ["--default", "--version"],
        });
      if (own.default) {
        printJson(DEFAULT_RULE_SET);
        return;
      }
      return withVersions(rest, async (versions) => {
        const row = own.version
          ? await version(versions, parseVersion(own.version))
          : await liveVersion(versions);
        printJson(definitionOf(row));
      });
    }
    case "backtest": {
      if (own.version && own.file)
        throw usageError("Give either --version or --file, not both", "either_or", {
          options: ["--version", "--file"],
        });
      const from = typeof own.from === "string" ? parseInstant(own.from, "from") : undefined;
      const to = typeof own.to === "string" ? parseInstant(own.to, "to") : undefined;
      const file = typeof own.file === "string" ? own.file : undefined;
      const definition = file === undefined ? undefined : readRuleSetFile(file);
      /** What is backtested, in words; the version's status and the live version come from `lookup`. */
      const subjectOf = async (lookup: { status(n: number): Promise<string>; live(): Promise<number> }) => {
        let n: number | undefined;
        let subject: string;
        if (file !== undefined) {
          subject = `the rule set in ${file}`;
        } else if (own.version) {
          n = parseVersion(own.version);
          subject = `rule set version ${n} (${await lookup.status(n)})`;
        } else {
          n = await lookup.live();
          subject = `the live rule set (version ${n})`;
        }
        if (from || to)
          subject += `, cases opened ${from ? `from ${from}` : ""}${from && to ? " " : ""}${to ? `until ${to}` : ""}`;
        return {
          input: {
            ...(definition !== undefined ? { definition } : { version: n as number }),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          },
          subject,
        };
      };
      const show = (report: BacktestReport, subject: string) => {
        if (own.json) printJson(report);
        else print(backtestText(report, subject));
      };
      return withRuntimeOrService(
        rest,
        async (rt) => {
          const { input, subject } = await subjectOf({
            status: async (n) => (await version(localVersions(rt), n)).status,
            live: async () => (await liveVersion(localVersions(rt))).version,
          });
          const bar = progressBar();
          let report: BacktestReport;
          try {
            report = await explainInvalid(file ?? "The rule set", () =>
              backtestRules(rt.ctx, { ...input, onProgress: (done, total) => bar.update(done, total) }),
            );
          } finally {
            bar.end();
          }
          show(report, subject);
        },
        // The service's backtest answers once, with the report: no progress bar then.
        async (svc) => {
          const { input, subject } = await subjectOf({
            status: async (n) => (await version(serviceVersions(svc), n)).status,
            live: async () => (await liveVersion(serviceVersions(svc))).version,
          });
          process.stderr.write("Backtest: running in the service…\n");
          const report = await explainInvalid(file ?? "The rule set", () =>
            svc.request<BacktestReport>("POST", "/api/v1/rules/backtests", { json: input }),
          );
          show(report, subject);
        },
      );
    }
  }
}
