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

type Reader = (raw: Obj, path: string, issues: Issues) => ActionDefinition | null;
type Of<K extends ActionKind> = Extract<ActionDefinition, { action: K }>;

/**
 * One parameter of an action, as an editor offers it: `choice` one of a vocabulary list (`values`
 * names it: rejectReasons, evidenceKinds, solutions), `choices` several of one, `text` a line of text
 * (`pattern`: what it must look like), `texts` a list of them, `integer`/`number` within [min, max].
 */
export interface ActionParam {
  readonly name: string;
  readonly kind: "choice" | "choices" | "text" | "texts" | "integer" | "number";
  readonly label: Label;
  readonly required: boolean;
  readonly values?: "rejectReasons" | "evidenceKinds" | "solutions";
  readonly default?: unknown;
  readonly min?: number;
  readonly max?: number;
  /** text: at most this many characters. */
  readonly maxLength?: number;
  readonly pattern?: string;
  /** The unit a number is in, as it reads after the value. */
  readonly unit?: Label;
}

interface ActionSpec<K extends ActionKind> {
  /** How the action reads as a choice in an editor. */
  label: Label;
  /** The outcome it sets when its rule decides (approve, reject, route); null: it accumulates. */
  outcome: Outcome | null;
  params: readonly ActionParam[];
  read: Reader;
  describe: (action: Of<K>, lang: Lang) => string;
}

const bad = (issues: Issues, path: string, message: Label): null => {
  issues.add(path, "INVALID_ACTION", message);
  return null;
};
const flag = (issues: Issues, path: string, message: Label): false => {
  issues.add(path, "INVALID_ACTION", message);
  return false;
};

const QUEUE_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$";
const QUEUE = new RegExp(QUEUE_PATTERN);

function readQueue(raw: unknown, path: string, issues: Issues): string | null {
  if (raw === undefined)
    return bad(issues, path, {
      en: `"route" needs a queue, e.g. "queue": "risk"`,
      zh: "转人工审核需要填写队列，例如 risk",
    });
  if (typeof raw !== "string" || !QUEUE.test(raw))
    return bad(issues, path, {
      en: "A queue name is 1–64 lower-case letters, digits, _ or -, starting with a letter or digit",
      zh: "队列名为 1–64 个小写字母、数字、_ 或 -，以字母或数字开头",
    });
  return raw;
}

function readStrings(raw: unknown, path: string, issues: Issues, what: Label): string[] | null {
  if (!Array.isArray(raw) || raw.length === 0)
    return bad(issues, path, { en: `${what.en} must be a non-empty list`, zh: `${what.zh}至少填写一个` });
  let ok = true;
  raw.forEach((v, i) => {
    if (typeof v !== "string" || v.trim() === "" || v.length > 64) {
      bad(issues, item(path, i), {
        en: `Each of ${what.en} must be a non-empty text of at most 64 characters`,
        zh: `每个${what.zh}应为不超过 64 字的非空文字`,
      });
      ok = false;
    }
  });
  return ok ? [...new Set(raw as string[])] : null;
}

const unknownCode = (what: Label, text: string, codes: readonly string[]): Label => {
  const hint = didYouMean(text, codes);
  return {
    en: `Unknown ${what.en} "${text}"${hint.en} (known: ${codes.join(", ")})`,
    zh: `没有“${text}”这个${what.zh}${hint.zh}（可选：${codes.join("、")}）`,
  };
};

const ACTIONS: { [K in ActionKind]: ActionSpec<K> } = {
  approve: {
    label: { zh: "自动同意", en: "Approve automatically" },
    outcome: "approve",
    params: [],
    read: () => ({ action: "approve" }),
    describe: (_, lang) => (lang === "zh" ? "自动同意" : "approve automatically"),
  },
  reject: {
    label: { zh: "自动拒绝", en: "Reject automatically" },
    outcome: "reject",
    params: [
      {
        name: "reason",
        kind: "choice",
        label: { zh: "拒绝原因", en: "reason" },
        required: true,
        values: "rejectReasons",
      },
      { name: "note", kind: "text", label: { zh: "说明", en: "note" }, required: false, maxLength: 500 },
    ],
    read: (raw, path, issues) => {
      const { reason, note } = raw;
      let ok = true;
      if (reason === undefined) {
        ok = flag(issues, at(path, "reason"), {
          en: `"reject" needs a reason: one of ${REJECT_REASON_CODES.join(", ")}`,
          zh: "自动拒绝需要选择拒绝原因",
        });
      } else if (typeof reason !== "string" || !Object.hasOwn(REJECT_REASONS, reason)) {
        const text = typeof reason === "string" ? reason : JSON.stringify(reason);
        ok = flag(
          issues,
          at(path, "reason"),
          unknownCode({ zh: "拒绝原因", en: "reject reason" }, text, REJECT_REASON_CODES),
        );
      }
      if (note !== undefined && (typeof note !== "string" || note.length > 500))
        ok = flag(issues, at(path, "note"), {
          en: "A reject note must be a text of at most 500 characters",
          zh: "拒绝说明不能超过 500 字",
        });
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
    label: { zh: "转人工审核", en: "Send to a person" },
    outcome: "manual",
    params: [
      {
        name: "queue",
        kind: "text",
        label: { zh: "队列", en: "queue" },
        required: true,
        pattern: QUEUE_PATTERN,
        maxLength: 64,
      },
      {
        name: "priority",
        kind: "integer",
        label: { zh: "优先级", en: "priority" },
        required: false,
        default: DEFAULT_PRIORITY,
        min: 0,
        max: 100,
      },
    ],
    read: (raw, path, issues) => {
      const queue = readQueue(raw.queue, at(path, "queue"), issues);
      const priority = raw.priority ?? DEFAULT_PRIORITY;
      if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 100)
        return bad(issues, at(path, "priority"), {
          en: "A queue priority is a whole number from 0 to 100",
          zh: "优先级是 0 到 100 之间的整数",
        });
      return queue === null ? null : { action: "route", queue, priority: priority as number };
    },
    describe: (a, lang) =>
      lang === "zh"
        ? `转人工队列${quote(a.queue, lang)}（优先级 ${a.priority ?? DEFAULT_PRIORITY}）`
        : `route to queue ${quote(a.queue, lang)} (priority ${a.priority ?? DEFAULT_PRIORITY})`,
  },
  require_evidence: {
    label: { zh: "要求上传凭证", en: "Require evidence" },
    outcome: null,
    params: [
      {
        name: "kinds",
        kind: "choices",
        label: { zh: "凭证类型", en: "kinds" },
        required: false,
        values: "evidenceKinds",
        default: DEFAULT_EVIDENCE,
      },
    ],
    read: (raw, path, issues) => {
      const kinds = raw.kinds ?? DEFAULT_EVIDENCE;
      const p = at(path, "kinds");
      if (!Array.isArray(kinds) || kinds.length === 0)
        return bad(issues, p, {
          en: `Evidence kinds must be a non-empty list of ${EVIDENCE_KIND_CODES.join(", ")}`,
          zh: "至少选择一种凭证类型",
        });
      let ok = true;
      kinds.forEach((k, i) => {
        if (typeof k !== "string" || !Object.hasOwn(EVIDENCE_KINDS, k)) {
          const text = typeof k === "string" ? k : JSON.stringify(k);
          ok = flag(
            issues,
            item(p, i),
            unknownCode({ zh: "凭证类型", en: "evidence kind" }, text, EVIDENCE_KIND_CODES),
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
    label: { zh: "设置处理时限", en: "Set a time limit" },
    outcome: null,
    params: [
      {
        name: "hours",
        kind: "number",
        label: { zh: "时限", en: "hours" },
        required: true,
        min: 0,
        max: 24 * 365,
        unit: { zh: "小时", en: "hours" },
      },
    ],
    read: (raw, path, issues) => {
      const { hours } = raw;
      if (typeof hours !== "number" || !Number.isFinite(hours) || hours <= 0 || hours > 24 * 365)
        return bad(issues, at(path, "hours"), {
          en: '"set_sla" needs "hours": a positive number of hours (at most a year)',
          zh: "处理时限需要填写大于 0 的小时数（不超过一年）",
        });
      return { action: "set_sla", hours };
    },
    describe: (a, lang) =>
      lang === "zh"
        ? `处理时限 ${formatHours(a.hours, lang)}`
        : `handle within ${formatHours(a.hours, lang)}`,
  },
  add_tags: {
    label: { zh: "添加标签", en: "Add tags" },
    outcome: null,
    params: [
      { name: "tags", kind: "texts", label: { zh: "标签", en: "tags" }, required: true, maxLength: 64 },
    ],
    read: (raw, path, issues) => {
      const tags = readStrings(raw.tags, at(path, "tags"), issues, { zh: "标签", en: "tags" });
      return tags === null ? null : { action: "add_tags", tags };
    },
    describe: (a, lang) =>
      lang === "zh" ? `添加标签 ${joinList(a.tags, lang)}` : `add tags ${joinList(a.tags, lang)}`,
  },
  recommend: {
    label: { zh: "推荐处理方案", en: "Recommend a solution" },
    outcome: null,
    params: [
      {
        name: "solution",
        kind: "choice",
        label: { zh: "方案", en: "solution" },
        required: true,
        values: "solutions",
      },
    ],
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

/** Each action as an editor offers it: its label, whether it decides, and its parameters. */
export const ACTION_SPECS = ACTION_KINDS.map((action) => {
  const spec = ACTIONS[action] as ActionSpec<ActionKind>;
  return { action, label: spec.label, outcome: spec.outcome, params: spec.params };
});

/** A solution code (处理方案), reporting an unknown one with the known ones. */
export function readSolution(raw: unknown, path: string, issues: Issues): SolutionCode | null {
  if (raw === undefined)
    return bad(issues, path, {
      en: `A solution is needed: one of ${SOLUTION_CODES.join(", ")}`,
      zh: "需要选择处理方案",
    });
  if (typeof raw === "string" && Object.hasOwn(SOLUTIONS, raw)) return raw as SolutionCode;
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  return bad(issues, path, unknownCode({ zh: "处理方案", en: "solution" }, text, SOLUTION_CODES));
}

export const outcomeOf = (action: ActionDefinition): Outcome | null => ACTIONS[action.action].outcome;

/** Check one action of a rule's `then` and return it with defaults filled, or null (issues say why). */
export function readAction(raw: unknown, path: string, issues: Issues): ActionDefinition | null {
  if (!isObject(raw))
    return bad(issues, path, {
      en: 'An action must be an object such as { "action": "approve" }',
      zh: '动作应为对象，例如 { "action": "approve" }',
    });
  const kind = raw.action;
  if (kind === undefined) {
    issues.add(at(path, "action"), "MISSING", {
      en: `An action needs "action": one of ${ACTION_KINDS.join(", ")}`,
      zh: "请选择动作",
    });
    unknownKeys(raw, ["action"], path, issues);
    return null;
  }
  if (typeof kind !== "string" || !Object.hasOwn(ACTIONS, kind)) {
    const text = typeof kind === "string" ? kind : JSON.stringify(kind);
    issues.add(
      at(path, "action"),
      "UNKNOWN_ACTION",
      unknownCode({ zh: "动作", en: "action" }, text, ACTION_KINDS),
    );
    return null;
  }
  const spec = ACTIONS[kind as ActionKind];
  const extra = unknownKeys(raw, ["action", ...spec.params.map((p) => p.name)], path, issues);
  const action = spec.read(raw, path, issues);
  return extra ? null : action;
}

/** One action as a person reads it. */
export function describeAction(action: ActionDefinition, lang: Lang): string {
  const spec = ACTIONS[action.action] as ActionSpec<ActionKind>;
  return spec.describe(action as never, lang);
}
