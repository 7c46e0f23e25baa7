import { DownloadOutlined, StopOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Descriptions, Progress, Space, Table, Typography } from "antd";
import type { TFunction } from "i18next";
import { useEffect } from "react";
import { keys } from "../../shared/keys.ts";
import { type Tone, ToneTag } from "../../shared/tone.tsx";
import { type Job, useImportJob, useStopImport } from "./data.ts";

export const STATE_TONE: Record<Job["state"], Tone> = {
  running: "blue",
  stopped: "gold",
  failed: "red",
  completed: "green",
};

const COUNTS = [
  "rowsRead",
  "ordersCreated",
  "ordersExisting",
  "refundsImported",
  "refundsExisting",
  "cases",
  "orphanRefunds",
] as const;

/**
 * One import as it runs: a progress bar following it (rows read of the total, rows/s), a way to stop
 * it, then what it created and the rows it rejected, by reason, with the rejected rows to download.
 */
export function ImportJob({ id, t, onClose }: { id: number; t: TFunction; onClose: () => void }) {
  const { data: job, error } = useImportJob(id);
  const stop = useStopImport();
  const client = useQueryClient();
  const state = job?.state;
  // The list shows the import's state too: refreshed once it ends.
  useEffect(() => {
    if (state && state !== "running") void client.invalidateQueries({ queryKey: keys.imports() });
  }, [state, client]);

  if (error)
    return <Alert type="error" showIcon role="alert" title={error.message} style={{ marginBottom: 16 }} />;
  if (!job) return <Card loading style={{ marginBottom: 16 }} />;
  const n = (x: number) => x.toLocaleString();

  return (
    <Card
      title={t("job.title", { id: job.id, file: job.fileName })}
      extra={
        <Space>
          <ToneTag tone={STATE_TONE[job.state]} testId="job-state">
            {t(`states.${job.state}`)}
          </ToneTag>
          {job.state === "running" ? (
            <Button
              danger
              icon={<StopOutlined />}
              loading={stop.isPending}
              onClick={() => stop.mutate(job.id)}
            >
              {t("job.stop")}
            </Button>
          ) : (
            <Button onClick={onClose}>{t("job.close")}</Button>
          )}
        </Space>
      }
      style={{ marginBottom: 16 }}
      data-testid="job"
      data-state={job.state}
    >
      <Progress
        percent={job.percent}
        status={job.state === "failed" ? "exception" : job.state === "running" ? "active" : undefined}
        aria-label={t("history.progress")}
        data-testid="progress"
      />
      <Space wrap size="large" style={{ marginBottom: 12 }}>
        <span data-testid="rows">
          {job.rows.total !== null
            ? t("job.rows", { read: n(job.rows.read), total: n(job.rows.total) })
            : t("job.rowsUnknown", { read: n(job.rows.read) })}
        </span>
        {job.rowsPerSecond !== null && <span>{t("job.rate", { rate: n(job.rowsPerSecond) })}</span>}
        {job.resumedFromRow > 0 && <span>{t("job.resumed", { row: n(job.resumedFromRow) })}</span>}
      </Space>
      {stop.isSuccess && job.state === "running" && (
        <Alert type="info" showIcon title={t("job.stopping")} style={{ marginBottom: 12 }} />
      )}
      {job.state === "stopped" && (
        <Alert type="info" showIcon title={t("job.resume")} style={{ marginBottom: 12 }} />
      )}
      {job.error && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={t("job.error", { message: job.error.message })}
          style={{ marginBottom: 12 }}
        />
      )}
      <Descriptions
        size="small"
        title={t("job.counts")}
        column={{ xs: 1, sm: 2, md: 4 }}
        items={COUNTS.map((k) => ({
          key: k,
          label: t(`counts.${k}`),
          children: <span data-count={k}>{n(job.counts[k] ?? 0)}</span>,
        }))}
      />
      <Typography.Title level={5} style={{ marginTop: 12 }}>
        {t("job.rejected")}
      </Typography.Title>
      {job.rejected.rows === 0 ? (
        <Typography.Text type="secondary">{t("job.noRejects")}</Typography.Text>
      ) : (
        <>
          <Table
            size="small"
            rowKey="reason"
            pagination={false}
            dataSource={job.rejected.byReason}
            style={{ marginBottom: 12, maxWidth: 720 }}
            onRow={(r) => ({ "data-reason": r.reason }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              {
                title: t("job.reason"),
                key: "reason",
                render: (_, r) => t(`rejects.${r.reason}`, { defaultValue: r.meaning ?? r.reason }),
              },
              {
                title: t("job.rowsCount"),
                key: "rows",
                align: "right",
                width: 100,
                render: (_, r) => n(r.rows),
              },
            ]}
          />
          <Button icon={<DownloadOutlined />} href={job.rejectsUrl} download={`import-${job.id}-rejects.csv`}>
            {t("job.download")} · {t("job.rejectedRows", { count: job.rejected.rows })}
          </Button>
        </>
      )}
    </Card>
  );
}
