import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Button, DatePicker, Form, Input, Select, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, call } from "../../../shared/api.ts";
import type { paths } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { useCan } from "../../../shared/session.ts";
import { SCREENS } from "../../routes.tsx";
import { PAGE } from "../paging.ts";
import { policyWords } from "../policies/text.ts";
import { Diff, valueTextOf } from "./diff.tsx";
import { TEXT } from "./text.ts";

type Read = paths["/api/v1/audit-log"]["get"];
type Query = NonNullable<Read["parameters"]["query"]>;
type Entry = Read["responses"][200]["content"]["application/json"]["items"][number];
type Action = Entry["action"];
type ObjectKind = NonNullable<Query["object"]>;
const ACTIONS = Object.keys(TEXT.en.actions) as Action[];
const OBJECTS = Object.keys(TEXT.en.objects) as ObjectKind[];
const objectOf = (a: string) => a.slice(0, a.indexOf(".")) as ObjectKind;

/** The filters, kept in the address so a link (from a policy, a token) opens the log already narrowed. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const get = (k: string) => params.get(k) || undefined;
  const filters = {
    actor: get("actor"),
    action: get("action") as Action | undefined,
    object: get("object") as ObjectKind | undefined,
    subject: get("subject"),
    from: get("from"),
    to: get("to"),
  };
  const set = (change: Partial<typeof filters>) => {
    const next = { ...filters, ...change };
    setParams(
      Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined && v !== "")) as Record<
        string,
        string
      >,
    );
  };
  return [filters, set] as const;
}

/**
 * 操作日志: every change to settings, rules, shops, tokens and accounts — who, when, what (in the
 * person's language), the thing changed (a link to its screen where it has one) and before → after.
 * Paged on the server, newest first; narrowed by who, action, object and time.
 */
export default function AuditLog() {
  const { t, i18n } = useScreenText("audit", TEXT);
  const can = useCan();
  const [filters, setFilters] = useFilters();
  // The pages seen so far, as the cursors that opened them (the first page has none).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const query: Query = {
    ...(filters.actor
      ? { actor: filters.actor.includes(":") ? filters.actor : `user:${filters.actor}` }
      : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.object ? { object: filters.object } : {}),
    ...(filters.subject ? { subject: filters.subject } : {}),
    ...(filters.from ? { from: dayjs(filters.from).startOf("day").toISOString() } : {}),
    ...(filters.to ? { to: dayjs(filters.to).add(1, "day").startOf("day").toISOString() } : {}),
    ...(cursor ? { cursor } : {}),
    limit: PAGE,
  };
  const log = useQuery({
    queryKey: keys.audit(query),
    queryFn: () => call(api.GET("/api/v1/audit-log", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const narrow = (change: Parameters<typeof setFilters>[0]) => {
    setCursors([undefined]);
    setFilters(change);
  };
  const screen = (path: string) => {
    const s = SCREENS.find((x) => x.path === path);
    return s !== undefined && can(s.permission);
  };
  const fieldName = (f: string) => {
    const last =
      f
        .replace(/\[\d+\]/g, "")
        .split(".")
        .at(-1) ?? f;
    const known = (TEXT.en.fields as Record<string, string>)[last];
    return known ? t(`fields.${last}`) : f;
  };
  const words = (field: string, code: string) => {
    if (field === "" || field.startsWith("policies")) return policyWords(i18n.language).policyName(code);
    if (field === "role") return t(`common:roles.${code}`, { defaultValue: code });
    return undefined;
  };
  const valueText = valueTextOf(t, words);

  const who = (e: Entry) => {
    const [kind, ...rest] = e.actor.split(":");
    const id = rest.join(":");
    const name = kind === "user" ? id : `${t(`actors.${kind}`, { defaultValue: kind })} ${id}`;
    return (
      <Space orientation="vertical" size={0}>
        <Typography.Text>{name}</Typography.Text>
        {e.actorTokenId !== null && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("viaToken", { id: e.actorTokenId })}
          </Typography.Text>
        )}
      </Space>
    );
  };

  const what = (e: Entry) => {
    const object = objectOf(e.action);
    const doc = (e.after ?? e.before ?? {}) as Record<string, unknown>;
    const id = e.subject ?? "";
    if (!e.subject) return <Typography.Text type="secondary">{t("installation")}</Typography.Text>;
    let text = id;
    let to: string | null = null;
    if (object === "shop") {
      text = t("subjects.shop", { id });
      if (screen("settings/shops/:shop")) to = `/settings/shops/${encodeURIComponent(id)}`;
      else if (screen("settings/shops")) to = "/settings/shops";
    } else if (object === "rules" && e.action === "rules.suggestion.dismiss") {
      text = t("subjects.suggestion", { id: id.slice(0, 12) });
    } else if (object === "rules") {
      text = t("subjects.rules", { id });
      if (screen("rules")) to = `/rules?version=${encodeURIComponent(id)}`;
    } else if (object === "token") {
      text = `${t("subjects.token", { id })}${typeof doc.name === "string" ? ` ${doc.name}` : ""}`;
      if (screen("settings/tokens")) to = "/settings/tokens";
    } else if (object === "user") {
      const login = typeof doc.login === "string" ? doc.login : undefined;
      text = login
        ? `${login}${typeof doc.name === "string" ? `（${doc.name}）` : ""}`
        : t("subjects.user", { id });
      if (screen("settings/users")) to = `/settings/users${login ? `?q=${encodeURIComponent(login)}` : ""}`;
    } else if (object === "webhook") {
      text = `${t("subjects.webhook", { id })}${typeof doc.url === "string" ? ` ${doc.url}` : ""}`;
    } else if (object === "policies") {
      const [kind = "", ...key] = id.split(":");
      text = t(`subjects.${kind}`, { id: key.join(":"), defaultValue: id });
      if (screen("settings/policies"))
        to = `/settings/policies?kind=${encodeURIComponent(kind)}&q=${encodeURIComponent(key.join(":"))}`;
    }
    return to ? <Link to={to}>{text}</Link> : <Typography.Text>{text}</Typography.Text>;
  };

  const items = log.data?.items ?? [];
  const page = cursors.length;
  return (
    <section aria-labelledby="audit-title">
      <Typography.Title level={1} id="audit-title" style={{ fontSize: 20, margin: "0 0 8px" }}>
        {t("title")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("intro")}</Typography.Paragraph>
      <Form layout="inline" style={{ rowGap: 8, marginBottom: 16 }} data-testid="audit-filters">
        <Form.Item label={t("filters.actor")} htmlFor="audit-actor">
          <Input.Search
            id="audit-actor"
            key={`actor:${filters.actor ?? ""}`}
            allowClear
            defaultValue={filters.actor}
            placeholder={t("filters.actorPlaceholder")}
            onSearch={(v) => narrow({ actor: v.trim() || undefined })}
            style={{ width: 200 }}
          />
        </Form.Item>
        <Form.Item label={t("filters.action")} htmlFor="audit-action">
          <Select<Action>
            id="audit-action"
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            value={filters.action}
            onChange={(v) => narrow({ action: v })}
            style={{ width: 220 }}
            options={OBJECTS.map((o) => ({
              label: t(`objects.${o}`),
              title: t(`objects.${o}`),
              options: ACTIONS.filter((a) => objectOf(a) === o).map((a) => ({
                value: a,
                label: t(`actions.${a}`),
              })),
            }))}
          />
        </Form.Item>
        <Form.Item label={t("filters.object")} htmlFor="audit-object">
          <Select<ObjectKind>
            id="audit-object"
            allowClear
            value={filters.object}
            onChange={(v) => narrow({ object: v })}
            style={{ width: 150 }}
            options={OBJECTS.map((o) => ({ value: o, label: t(`objects.${o}`) }))}
          />
        </Form.Item>
        <Form.Item label={t("filters.subject")} htmlFor="audit-subject">
          <Input.Search
            id="audit-subject"
            key={`subject:${filters.subject ?? ""}`}
            allowClear
            defaultValue={filters.subject}
            placeholder={t("filters.subjectPlaceholder")}
            onSearch={(v) => narrow({ subject: v.trim() || undefined })}
            style={{ width: 200 }}
          />
        </Form.Item>
        <Form.Item label={t("filters.range")}>
          <DatePicker.RangePicker
            aria-label={t("filters.range")}
            placeholder={[t("filters.start"), t("filters.end")]}
            value={[filters.from ? dayjs(filters.from) : null, filters.to ? dayjs(filters.to) : null]}
            allowEmpty={[true, true]}
            onChange={(r) =>
              narrow({
                from: r?.[0]?.format("YYYY-MM-DD") ?? undefined,
                to: r?.[1]?.format("YYYY-MM-DD") ?? undefined,
              })
            }
          />
        </Form.Item>
        <Form.Item>
          <Button
            onClick={() =>
              narrow({
                actor: undefined,
                action: undefined,
                object: undefined,
                subject: undefined,
                from: undefined,
                to: undefined,
              })
            }
          >
            {t("filters.clear")}
          </Button>
        </Form.Item>
      </Form>
      <Table<Entry>
        rowKey="id"
        size="middle"
        loading={log.isFetching}
        dataSource={items}
        pagination={false}
        scroll={{ x: 1000 }}
        locale={{ emptyText: <Typography.Text type="secondary">{t("empty")}</Typography.Text> }}
        onRow={(e) =>
          ({ "data-action": e.action, "data-subject": e.subject ?? "" }) as React.HTMLAttributes<HTMLElement>
        }
        columns={[
          {
            title: t("at"),
            dataIndex: "at",
            width: 170,
            render: (v: string) => dayjs(v).format("YYYY-MM-DD HH:mm:ss"),
          },
          { title: t("actor"), key: "actor", width: 150, render: (_: unknown, e) => who(e) },
          {
            title: t("action"),
            dataIndex: "action",
            width: 190,
            render: (a: Action) => t(`actions.${a}`, { defaultValue: a }),
          },
          { title: t("object"), key: "object", width: 200, render: (_: unknown, e) => what(e) },
          {
            title: t("change"),
            key: "change",
            render: (_: unknown, e) => (
              <Diff before={e.before} after={e.after} fieldName={fieldName} valueText={valueText} t={t} />
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 16, justifyContent: "flex-end", width: "100%" }}>
        <Button disabled={page <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          {t("newer")}
        </Button>
        <Typography.Text aria-live="polite">{t("pageOf", { page })}</Typography.Text>
        <Button
          disabled={!log.data?.nextCursor}
          onClick={() => {
            const next = log.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          {t("older")}
        </Button>
      </Space>
    </section>
  );
}
