// biome-ignore-all lint/suspicious/noThenProperty: "then" is the rule document's own word for a rule's actions.
import {
  CheckCircleOutlined,
  CopyOutlined,
  DeleteOutlined,
  PlusOutlined,
  SendOutlined,
  UndoOutlined,
} from "@ant-design/icons";
import { Alert, App, Button, Card, Descriptions, Popconfirm, Segmented, Space } from "antd";
import dayjs from "dayjs";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError } from "../../shared/api.ts";
import { useCan, useSession } from "../../shared/session.ts";
import { type Tone, ToneTag } from "../../shared/tone.tsx";
import { BacktestPanel } from "./backtest.tsx";
import { issuesOf, useRuleWrites } from "./data.ts";
import { newAction } from "./editor/actions.tsx";
import { newLeaf } from "./editor/conditions.tsx";
import { RuleDrawer } from "./editor/rule-drawer.tsx";
import { JsonView } from "./json-view.tsx";
import {
  asRuleSet,
  freshId,
  type Issue,
  issuesByPath,
  type Rule,
  type RuleSet,
  type RuleVersion,
  type Vocabulary,
} from "./model.ts";
import { RuleCards } from "./rule-cards.tsx";
import { useRulesText } from "./text.ts";

export const STATUS_TONE: Record<string, Tone | undefined> = {
  active: "green",
  draft: "gold",
  retired: undefined,
};
const json = (doc: RuleSet) => JSON.stringify(doc, null, 2);
/** "user:chen" → "chen": people are named by their login in the log. */
export const personOf = (actor: string | null | undefined) => (actor ?? "").replace(/^user:/, "");

/**
 * One version of the rule set. A draft is edited here — as cards and a form, or as JSON — every change
 * saved at once so the server's word on it shows at the field concerned; backtested beside the live
 * rules; and activated: by its author, or, with maker–checker on, by another supervisor.
 */
export function VersionView({
  vocab,
  version: v,
  secondPerson,
  onOpen,
}: {
  vocab: Vocabulary;
  version: RuleVersion;
  secondPerson: boolean;
  onOpen: (version: number) => void;
}) {
  const { t } = useRulesText();
  const { message } = App.useApp();
  const can = useCan();
  const { data: session } = useSession();
  const writes = useRuleWrites();
  const draft = v.status === "draft" && can("rules.write");
  const [doc, setDoc] = useState<RuleSet>(() => asRuleSet(v.definition));
  const [mode, setMode] = useState<"form" | "json">("form");
  const [text, setText] = useState(() => json(asRuleSet(v.definition)));
  const [parseError, setParseError] = useState<string | null>(null);
  const [issueList, setIssueList] = useState<Issue[]>([]);
  const [editing, setEditing] = useState<{ index: number; rule: Rule } | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const issues = useMemo(() => issuesByPath(issueList), [issueList]);
  const currency = doc.currency ?? "CNY";
  // Another version opened, or this one changed on the server (saved here or elsewhere): show it.
  useEffect(() => {
    const d = asRuleSet(v.definition);
    setDoc(d);
    setText(json(d));
    setParseError(null);
  }, [v.definition]);
  const onIssues = useCallback((list: Issue[]) => setIssueList(list), []);

  /** Save the whole draft; true when the server took it, else its problems are shown where they are. */
  const saveDoc = async (next: RuleSet): Promise<boolean> => {
    setSaveError(null);
    try {
      const saved = await writes.save.mutateAsync({
        version: v.version,
        definition: next,
        ...(v.note ? { note: v.note } : {}),
      });
      const d = asRuleSet(saved.definition);
      setDoc(d);
      setText(json(d));
      setIssueList([]);
      return true;
    } catch (e) {
      const list = issuesOf(e);
      setIssueList(list);
      if (list.length === 0) setSaveError(e instanceof Error ? e.message : String(e));
      return false;
    }
  };
  /** The JSON typed so far as a document, or null (and why not) when it is not JSON. */
  const parsed = (): RuleSet | null => {
    try {
      const d = JSON.parse(text) as RuleSet;
      setParseError(null);
      return d;
    } catch (e) {
      setParseError((e as Error).message);
      return null;
    }
  };
  const jsonDirty = text !== json(doc);
  const switchMode = async (next: "form" | "json") => {
    if (next === "json") {
      setText(json(doc));
      setMode("json");
      return;
    }
    // Back to the form: what was typed as JSON is the draft now — saved first, as the form saves.
    if (jsonDirty) {
      const d = parsed();
      if (!d || !(await saveDoc(d))) return;
    }
    setMode("form");
  };
  const newRule = (): Rule => {
    const first = vocab.actions[0];
    return {
      id: freshId(doc.rules),
      name: { zh: "", en: "" },
      priority: 10,
      when: { all: [newLeaf(vocab)] },
      then: first ? [newAction(first)] : [],
    };
  };
  const failed = (e: unknown) => void message.error(e instanceof ApiError ? e.message : String(e));
  const me = `user:${session?.user.login ?? ""}`;
  const isAuthor = v.authors.includes(me);
  const backtestSubject =
    v.status === "draft"
      ? t("versions.thisDraft", { version: v.version })
      : t("versions.name", { version: v.version });

  const activation = () => {
    if (v.status === "active") return null;
    if (v.status === "retired")
      return (
        can("rules.activate") && (
          <Popconfirm
            title={t("activate.rollbackConfirm", { version: v.version })}
            onConfirm={() => writes.activate.mutateAsync(v.version).catch(failed)}
          >
            <Button icon={<UndoOutlined />} loading={writes.activate.isPending}>
              {t("activate.rollback")}
            </Button>
          </Popconfirm>
        )
      );
    if (secondPerson && isAuthor)
      return v.requestedBy
        ? null
        : can("rules.write") && (
            <Button
              type="primary"
              icon={<SendOutlined />}
              loading={writes.request.isPending}
              data-testid="request-activation"
              onClick={() =>
                writes.request
                  .mutateAsync(v.version)
                  .then(() => void message.success(t("activate.requested")), failed)
              }
            >
              {t("activate.request")}
            </Button>
          );
    return (
      can("rules.activate") && (
        <Popconfirm
          title={
            secondPerson
              ? t("activate.checkConfirm", { version: v.version })
              : t("activate.confirm", { version: v.version })
          }
          onConfirm={() =>
            writes.activate
              .mutateAsync(v.version)
              .then(() => void message.success(t("activate.done", { version: v.version })), failed)
          }
        >
          <Button
            type="primary"
            icon={<CheckCircleOutlined />}
            loading={writes.activate.isPending}
            data-testid="activate"
          >
            {secondPerson ? t("activate.check") : t("activate.activate")}
          </Button>
        </Popconfirm>
      )
    );
  };

  return (
    <Space
      orientation="vertical"
      size={12}
      style={{ width: "100%" }}
      data-testid="version-view"
      data-version={v.version}
    >
      <Card
        size="small"
        title={
          <Space wrap>
            <span>{t("versions.name", { version: v.version })}</span>
            <ToneTag key={v.status} tone={STATUS_TONE[v.status]}>
              {t(`status.${v.status}`)}
            </ToneTag>
            {v.status === "draft" && secondPerson && v.requestedBy && (
              <ToneTag tone="orange">{t("activate.waitingTag")}</ToneTag>
            )}
          </Space>
        }
        extra={
          <Space wrap>
            {activation()}
            {v.status !== "draft" && can("rules.write") && (
              <Button
                icon={<CopyOutlined />}
                loading={writes.create.isPending}
                data-testid="new-draft"
                onClick={() =>
                  writes.create
                    .mutateAsync({
                      definition: asRuleSet(v.definition),
                      note: t("versions.basedOn", { version: v.version }),
                    })
                    .then((d) => onOpen(d.version), failed)
                }
              >
                {t("versions.newDraft")}
              </Button>
            )}
            {draft && (
              <Popconfirm
                title={t("versions.deleteConfirm", { version: v.version })}
                onConfirm={() => writes.remove.mutateAsync(v.version).catch(failed)}
              >
                <Button danger icon={<DeleteOutlined />}>
                  {t("versions.delete")}
                </Button>
              </Popconfirm>
            )}
          </Space>
        }
      >
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2 }}
          items={[
            {
              key: "by",
              label: t("versions.createdBy"),
              children: `${personOf(v.createdBy)} · ${dayjs(v.createdAt).format("YYYY-MM-DD HH:mm")}`,
            },
            {
              key: "authors",
              label: t("versions.authors"),
              children: v.authors.map(personOf).join("、") || "—",
            },
            ...(v.activatedAt
              ? [
                  {
                    key: "on",
                    label: t("versions.activatedBy"),
                    children: `${personOf(v.activatedBy)} · ${dayjs(v.activatedAt).format("YYYY-MM-DD HH:mm")}`,
                  },
                ]
              : []),
            ...(v.note ? [{ key: "note", label: t("versions.note"), children: v.note }] : []),
          ]}
        />
        {v.status === "draft" && secondPerson && (
          <Alert
            style={{ marginTop: 8 }}
            type={v.requestedBy ? "warning" : "info"}
            showIcon
            data-testid="maker-checker"
            title={
              v.requestedBy
                ? isAuthor
                  ? t("activate.waitingMine", { at: dayjs(v.requestedAt).format("YYYY-MM-DD HH:mm") })
                  : t("activate.waitingYou", {
                      who: personOf(v.requestedBy),
                      at: dayjs(v.requestedAt).format("YYYY-MM-DD HH:mm"),
                    })
                : isAuthor
                  ? t("activate.authorHint")
                  : t("activate.checkerHint", { who: v.authors.map(personOf).join("、") })
            }
          />
        )}
      </Card>
      <Card
        size="small"
        title={t("cards.title")}
        extra={
          <Space wrap>
            <Segmented
              aria-label={t("json.switch")}
              value={mode}
              options={[
                { value: "form", label: t("json.form") },
                { value: "json", label: "JSON" },
              ]}
              onChange={(m) => void switchMode(m as "form" | "json")}
            />
            {draft && mode === "form" && (
              <Button
                icon={<PlusOutlined />}
                onClick={() => setEditing({ index: doc.rules.length, rule: newRule() })}
                data-testid="add-rule"
              >
                {t("cards.add")}
              </Button>
            )}
            {draft && mode === "json" && (
              <Button
                type="primary"
                disabled={!jsonDirty}
                loading={writes.save.isPending}
                data-testid="json-save"
                onClick={() => {
                  const d = parsed();
                  if (d) void saveDoc(d).then((ok) => ok && void message.success(t("json.saved")));
                }}
              >
                {t("editor.saveDraft")}
              </Button>
            )}
          </Space>
        }
      >
        {saveError && !editing && (
          <Alert type="error" showIcon role="alert" title={saveError} style={{ marginBottom: 8 }} />
        )}
        {mode === "form" ? (
          <RuleCards
            vocab={vocab}
            doc={doc}
            issues={issues}
            onEdit={draft ? (index) => setEditing({ index, rule: doc.rules[index] as Rule }) : undefined}
            onRemove={
              draft
                ? (index) => void saveDoc({ ...doc, rules: doc.rules.filter((_, i) => i !== index) })
                : undefined
            }
          />
        ) : (
          <JsonView
            text={text}
            onChange={draft ? setText : undefined}
            readOnly={!draft}
            issues={issues}
            parseError={parseError}
          />
        )}
      </Card>
      <BacktestPanel
        definition={mode === "json" && jsonDirty ? null : doc}
        subject={backtestSubject}
        onIssues={onIssues}
      />
      {editing && (
        <RuleDrawer
          key={`${editing.index}`}
          vocab={vocab}
          initial={editing.rule}
          index={editing.index}
          issues={issues}
          currency={currency}
          saving={writes.save.isPending}
          error={saveError}
          onClose={() => {
            setEditing(null);
            setIssueList([]);
            setSaveError(null);
          }}
          onSave={async (rule) => {
            const rules = [...doc.rules];
            rules[editing.index] = rule;
            if (await saveDoc({ ...doc, rules })) {
              setEditing(null);
              void message.success(t("editor.saved"));
            }
          }}
        />
      )}
    </Space>
  );
}
