import { SyncOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Badge, Button, Card, Skeleton, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import type { HTMLAttributes } from "react";
import { api, call } from "../../../../shared/api.ts";
import type { paths } from "../../../../shared/api-types.ts";
import { useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { duration } from "../../../../shared/sla.ts";
import { TEXT, whyKey } from "../text.ts";

type Status = paths["/api/v1/shops/{shop}/sync"]["get"]["responses"][200]["content"]["application/json"];
type Stream = Status["streams"][number];
type Failed = Status["failedRequests"][number];
/** Orders first: the after-sales requests need their orders. */
const rank = (stream: string) => ["orders", "aftersales"].indexOf(stream) >>> 0;
const at = (v: string | null | undefined) => (v ? dayjs(v).format("YYYY-MM-DD HH:mm:ss") : "—");

/** An error a sync recorded, said in the person's language, with what it literally said underneath. */
function Why({ error }: { error: string }) {
  const { t } = useScreenText("shops", TEXT);
  const why = whyKey(error);
  return (
    <div>
      {why && <div>{t(`why.${why}`)}</div>}
      <Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: "break-word" }}>
        {why ? `${t("sync.detail")}: ` : ""}
        {error}
      </Typography.Text>
    </div>
  );
}

/**
 * How far each of the shop's sync streams got, when it last ran, how far behind it is and why it stopped,
 * and the platform requests that could not be taken; "Sync now" runs a pass (and retries those).
 */
export function SyncStatus({ shop }: { shop: string }) {
  const { t } = useScreenText("shops", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const key = keys.shop(shop, "sync");
  const path = { params: { path: { shop } } };
  // A sync is not a case change: nothing announces it live, so the status is read again every 30 s.
  const status = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET("/api/v1/shops/{shop}/sync", path)),
    refetchInterval: 30_000,
  });
  const now = useMutation({
    mutationFn: () => call(api.POST("/api/v1/shops/{shop}/sync", { ...path, body: {} })),
    onSuccess: (s) => {
      client.setQueryData(key, s);
      if (s.streams.some((x) => x.lastError)) void message.warning(t("sync.doneWithErrors"));
      else void message.success(t("sync.done"));
    },
    onError: (e) => void message.error(e.message),
  });
  if (status.error) return <Alert type="error" showIcon role="alert" title={status.error.message} />;
  if (!status.data) return <Skeleton active />;
  const lag = (s: Stream) => {
    if (!s.syncedTo) return "—";
    const d = duration(Date.now() - Date.parse(s.syncedTo));
    return t(`sync.lagIn.${d.unit}`, { n: d.n });
  };
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Paragraph type="secondary" style={{ margin: 0, maxWidth: 720 }}>
          {t("sync.intro")}
        </Typography.Paragraph>
        <Button
          icon={<SyncOutlined spin={now.isPending} />}
          loading={now.isPending}
          onClick={() => now.mutate()}
        >
          {t("sync.now")}
        </Button>
      </Space>
      <Table<Stream>
        data-testid="sync-streams"
        rowKey="stream"
        size="middle"
        pagination={false}
        scroll={{ x: 900 }}
        dataSource={[...status.data.streams].sort((a, b) => rank(a.stream) - rank(b.stream))}
        locale={{ emptyText: <Typography.Text type="secondary">{t("sync.noStreams")}</Typography.Text> }}
        onRow={(s) => ({ "data-stream": s.stream }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("sync.stream"),
            dataIndex: "stream",
            width: 130,
            render: (s: string) => t(`sync.streams.${s}`, { defaultValue: s }),
          },
          {
            title: t("sync.state"),
            key: "state",
            width: 110,
            render: (_: unknown, s) =>
              s.running ? (
                <Badge status="processing" text={t("sync.running")} />
              ) : s.lastError ? (
                <Badge status="error" text={t("sync.failed")} />
              ) : s.syncedTo ? (
                <Badge status="success" text={t("sync.ok")} />
              ) : (
                <Badge status="default" text={t("sync.never")} />
              ),
          },
          {
            title: t("sync.syncedTo"),
            key: "syncedTo",
            width: 190,
            render: (_: unknown, s) => (
              <>
                <div>{at(s.syncedTo)}</div>
                {s.inWindow && typeof s.inWindow.from === "string" && typeof s.inWindow.to === "string" && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t("sync.inWindow", { from: at(s.inWindow.from), to: at(s.inWindow.to) })}
                  </Typography.Text>
                )}
              </>
            ),
          },
          { title: t("sync.lag"), key: "lag", width: 110, render: (_: unknown, s) => lag(s) },
          { title: t("sync.lastRun"), dataIndex: "lastRunAt", width: 180, render: at },
          {
            title: t("sync.error"),
            dataIndex: "lastError",
            render: (e: string | null) => (e ? <Why error={e} /> : "—"),
          },
        ]}
      />
      <Card size="small" title={t("sync.failedRequests")}>
        <Typography.Paragraph type="secondary">{t("sync.failedIntro")}</Typography.Paragraph>
        <Table<Failed>
          rowKey="externalId"
          size="small"
          dataSource={status.data.failedRequests}
          locale={{ emptyText: <Typography.Text type="secondary">{t("sync.noFailures")}</Typography.Text> }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          scroll={{ x: 700 }}
          columns={[
            { title: t("sync.externalId"), dataIndex: "externalId", width: 180 },
            {
              title: t("sync.error"),
              dataIndex: "error",
              render: (e: string | null) => (e ? <Why error={e} /> : "—"),
            },
            { title: t("sync.attempts"), dataIndex: "attempts", width: 100 },
            { title: t("sync.at"), dataIndex: "at", width: 180, render: at },
          ]}
        />
      </Card>
    </Space>
  );
}
