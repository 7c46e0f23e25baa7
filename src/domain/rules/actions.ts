import { SOLUTIONS, type SolutionCode } from "../catalogue.ts";
import { formatHours, joinList, quote } from "./format.ts";
import { at, type Issues, isObject, item, type Obj, unknownKeys } from "./issues.ts";
import { didYouMean, type Label, type Lang } from "./text.ts";

/** What a matched rule does (动作), as data: the vocabulary, how each is checked and how it reads. */

/** Why a rule may reject a case (拒绝原因); the customer sees the label. */
export const REJECT_REASONS = {
  outside_window: { zh: "超出售后期限", en: "Outside the after-sales window" },
  policy_excludes: { zh: "该商品不支持此售后", en: "This product does not support this kind of after-sales" },
  evidence_missing: { zh: "缺少凭证", en: "Evidence is missing" },
  abuse_suspected: { zh: "疑似恶意售后", en: "Suspected abuse" },
  signed_for: { zh: "物流显示已签收", en: "The parcel shows as signed for" },
  duplicate: { zh: "重复申请", en: "Duplicate request" },
} as const satisfies Record<string, Label>;
export type RejectReasonCode = keyof typeof REJECT_REASONS;
export const REJECT_REASON_CODES = Object.keys(REJECT_REASONS) as RejectReasonCode[];

export const EVIDENCE_KINDS = {
  photo: { zh: "照片", en: "photos" },
  video: { zh: "视频", en: "video" },
} as const satisfies Record<string, Label>;
export type EvidenceKind = keyof typeof EVIDENCE_KINDS;
export const EVIDENCE_KIND_CODES = Object.keys(EVIDENCE_KINDS) as EvidenceKind[];

export type ActionDefinition =
  | { action: "approve" }
  | { action: "reject"; reason: RejectReasonCode; note?: string }
  | { action: "route"; queue: string /** 0..100, default 50 */; priority?: number }
  | { action: "require_evidence" /** default ["photo"] */; kinds?: EvidenceKind[] }
  | { action: "set_sla"; hours: number }
  | { action: "add_tags"; tags: string[] }
  | { action: "recommend"; solution: SolutionCode };
export type ActionKind = ActionDefinition["action"];

/** What a case's review ends in. */
export type Outcome = "approve" | "reject" | "manual";

export const DEFAULT_QUEUE = "default";
export const DEFAULT_PRIORITY = 50;
export const DEFAULT_EVIDENCE: readonly EvidenceKind[] = ["photo"];
const QUEUE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

type Reader = (raw: Obj, path: string, issues: Issues) => ActionDefinition | null;
type Of<K extends ActionKind> = Extract<ActionDefinition, { action: K }>;

interface ActionSpec<K extends ActionKind> {
  /** The outcome it sets when its rule decides (approve, reject, route); null: it accumulates. */
  outcome: Outcome | null;
  params: readonly string[];
  read: Reader;
  describe: (action: Of<K>, lang: Lang) => string;
}

const bad = (issues: Issues, path: string, message: string): null => {
  issues.add(path, "INVALID_ACTION", message);
  return null;
};
const flag = (issues: Issues, path: string, message: string): false => {
  issues.add(path, "INVALID_ACTION", message);
  return false;
};

function readQueue(raw: unknown, path: string, issues: Issues): string | null {
  if (raw === undefined) return bad(issues, path, `"route" needs a queue, e.g. "queue": "risk"`);
  if (typeof raw !== "string" || !QUEUE.test(raw))
    return bad(
      issues,
      path,
      "A queue name is 1–64 lower-case letters, digits, _ or -, starting with a letter or digit",
    );
  return raw;
}

function readStrings(raw: unknown, path: string, issues: Issues, what: string): string[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return bad(issues, path, `${what} must be a non-empty list`);
  let ok = true;
  raw.forEach((v, i) => {
    if (typeof v !== "string" || v.trim() === "" || v.length > 64) {
      bad(issues, item(path, i), `Each of ${what} must be a non-empty text of at most 64 characters`);
      ok = false;
    }
  });
  return ok ? [...new Set(raw as string[])] : null;
}

const ACTIONS: { [K in ActionKind]: ActionSpec<K> } = {
  approve: {
    outcome: "approve",
    params: [],
    read: () => ({ action: "approve" }),
    describe: (_, lang) => (lang === "zh" ? "自动同意" : "approve automatically"),
  },
  reject: {
    outcome: "reject",
    params: ["reason", "note"],
    read: (raw, path, issues) => {
      const { reason, note } = raw;
      let ok = true;
      if (reason === undefined) {
        ok = flag(
          issues,
          at(path, "reason"),
          `"reject" needs a reason: one of ${REJECT_REASON_CODES.join(", ")}`,
        );
      } else if (typeof reason !== "string" || !Object.hasOwn(REJECT_REASONS, reason)) {
        const text = typeof reason === "string" ? reason : JSON.stringify(reason);
        ok = flag(
          issues,
          at(path, "reason"),
          `Unknown reject reason "${text}"${didYouMean(text, REJECT_REASON_CODES)} (known: ${REJECT_REASON_CODES.join(", ")})`,
        );
      }
      if (note !== undefined && (typeof note !== "string" || note.length > 500))
        ok = flag(issues, at(path, "note"), "A reject note must be a text of at most 500 characters");
      if (!ok) return null;
      const out: Of<"reject"> = { action: "reject", reason: reason as RejectReasonCode };
      if (typeof note === "string" && note.trim() !== "") out.note = note;
      return out;
    },
    describe: (a, lang) => {
      const why =
        REJECT_REASONS[a.reason][lang] + (a.note ? (lang === "zh" ? `：${a.note}` : `: ${a.note}`) : "");
      return lang === "zh" ? `自动拒绝（${why}）` : `reject automatically (${why})`;
    },
  },
  route: {
    outcome: "manual",
    params: ["queue", "priority"],
    read: (raw, path, issues) => {
      const queue = readQueue(raw.queue, at(path, "queue"), issues);
      const priority = raw.priority ?? DEFAULT_PRIORITY;
      if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 100)
        return bad(issues, at(path, "priority"), "A queue priority is a whole number from 0 to 100");
      return queue === null ? null : { action: "route", queue, priority: priority as number };
    },
    describe: (a, lang) =>
      lang === "zh"
        ? `转人工队列${quote(a.queue, lang)}（优先级 ${a.priority ?? DEFAULT_PRIORITY}）`
        : `route to queue ${quote(a.queue, lang)} (priority ${a.priority ?? DEFAULT_PRIORITY})`,
  },
  require_evidence: {
    outcome: null,
    params: ["kinds"],
    read: (raw, path, issues) => {
      const kinds = raw.kinds ?? DEFAULT_EVIDENCE;
      const p = at(path, "kinds");
      if (!Array.isArray(kinds) || kinds.length === 0)
        return bad(issues, p, `Evidence kinds must be a non-empty list of ${EVIDENCE_KIND_CODES.join(", ")}`);
      let ok = true;
      kinds.forEach((k, i) => {
        if (typeof k !== "string" || !Object.hasOwn(EVIDENCE_KINDS, k)) {
          const text = typeof k === "string" ? k : JSON.stringify(k);
          ok = flag(
            issues,
            item(p, i),
            `Unknown evidence kind "${text}"${didYouMean(text, EVIDENCE_KIND_CODES)} (known: ${EVIDENCE_KIND_CODES.join(", ")})`,
          );
        }
      });
      if (!ok) return null;
      // Canonical order, no repeats.
      return { action: "require_evidence", kinds: EVIDENCE_KIND_CODES.filter((k) => kinds.includes(k)) };
    },
    describe: (a, lang) => {
      const kinds = joinList(
        (a.kinds ?? DEFAULT_EVIDENCE).map((k) => EVIDENCE_KINDS[k][lang]),
        lang,
      );
      return lang === "zh" ? `要求上传凭证（${kinds}）` : `require evidence (${kinds})`;
    },
  },
  set_sla: {
    outcome: null,
    params: ["hours"],
    read: (raw, path, issues) => {
      const { hours } = raw;
      if (typeof hours !== "number" || !Number.isFinite(hours) || hours <= 0 || hours > 24 * 365)
        return bad(
          issues,
          at(path, "hours"),
          '"set_sla" needs "hours": a positive number of hours (at most a year)',
        );
      return { action: "set_sla", hours };
    },
    describe: (a, lang) =>
      lang === "zh"
        ? `处理时限 ${formatHours(a.hours, lang)}`
        : `handle within ${formatHours(a.hours, lang)}`,
  },
  add_tags: {
    outcome: null,
    params: ["tags"],
    read: (raw, path, issues) => {
      const tags = readStrings(raw.tags, at(path, "tags"), issues, "tags");
      return tags === null ? null : { action: "add_tags", tags };
    },
    describe: (a, lang) =>
      lang === "zh" ? `添加标签 ${joinList(a.tags, lang)}` : `add tags ${joinList(a.tags, lang)}`,
  },
  recommend: {
    outcome: null,
    params: ["solution"],
    read: (raw, path, issues) => {
      const solution = readSolution(raw.solution, at(path, "solution"), issues);
      return solution === null ? null : { action: "recommend", solution };
    },
    describe: (a, lang) =>
      lang === "zh" ? `推荐方案：${SOLUTIONS[a.solution].zh}` : `recommend: ${SOLUTIONS[a.solution].en}`,
  },
};

export const ACTION_KINDS = Object.keys(ACTIONS) as ActionKind[];
const SOLUTION_CODES = Object.keys(SOLUTIONS);

/** A solution code (处理方案), reporting an unknown one with the known ones. */
export function readSolution(raw: unknown, path: string, issues: Issues): SolutionCode | null {
  if (raw === undefined)
    return bad(issues, path, `A solution is needed: one of ${SOLUTION_CODES.join(", ")}`);
  if (typeof raw === "string" && Object.hasOwn(SOLUTIONS, raw)) return raw as SolutionCode;
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  return bad(
    issues,
    path,
    `Unknown solution "${text}"${didYouMean(text, SOLUTION_CODES)} (known: ${SOLUTION_CODES.join(", ")})`,
  );
}

export const outcomeOf = (action: ActionDefinition): Outcome | null => ACTIONS[action.action].outcome;

/** Check one action of a rule's `then` and return it with defaults filled, or null (issues say why). */
export function readAction(raw: unknown, path: string, issues: Issues): ActionDefinition | null {
  if (!isObject(raw)) return bad(issues, path, 'An action must be an object such as { "action": "approve" }');
  const kind = raw.action;
  if (kind === undefined) {
    issues.add(at(path, "action"), "MISSING", `An action needs "action": one of ${ACTION_KINDS.join(", ")}`);
    unknownKeys(raw, ["action"], path, issues);
    return null;
  }
  if (typeof kind !== "string" || !Object.hasOwn(ACTIONS, kind)) {
    const text = typeof kind === "string" ? kind : JSON.stringify(kind);
    issues.add(
      at(path, "action"),
      "UNKNOWN_ACTION",
      `Unknown action "${text}"${didYouMean(text, ACTION_KINDS)} (known: ${ACTION_KINDS.join(", ")})`,
    );
    return null;
  }
  const spec = ACTIONS[kind as ActionKind];
  const extra = unknownKeys(raw, ["action", ...spec.params], path, issues);
  const action = spec.read(raw, path, issues);
  return extra ? null : action;
}

/** One action as a person reads it. */
export function describeAction(action: ActionDefinition, lang: Lang): string {
  const spec = ACTIONS[action.action] as ActionSpec<ActionKind>;
  return spec.describe(action as never, lang);
}
