import { App, Button, Empty, Progress, Table, Typography } from "antd";
import dayjs from "dayjs";
import type { HTMLAttributes } from "react";
import { useSearchParams } from "react-router";
import { useScreenText } from "../../shared/i18n.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { LoadProblem } from "../finance/load-problem.tsx";
import { type Job, PAGE_SIZES, useImports, useShops } from "./data.ts";
import { ImportJob, STATE_TONE } from "./job.tsx";
import { NewImport } from "./new-import.tsx";
import { TEXT } from "./text.ts";

/**
 * 导入订单: upload a CSV or XLSX file of order lines, map its columns (presets for the known layouts),
 * follow the import as it runs, and download the rows it rejected; the imports before, page by page.
 * The import followed is in the address (?job=7), so a reload keeps following it.
 */
export default function Imports() {
  const { t } = useScreenText("imports", TEXT);
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const job = Number.parseInt(params.get("job") ?? "", 10) || undefined;
  const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
  const size = (PAGE_SIZES as readonly number[]).includes(Number(params.get("size")))
    ? Number(params.get("size"))
    : PAGE_SIZES[0];
  const set = (patch: Record<string, string | number | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch))
      if (v === undefined) next.delete(k);
      else next.set(k, String(v));
    setParams(next);
  };
  const list = useImports(page, size);
  const shops = useShops();
  const shopName = (id: string) => shops.data?.items.find((s) => s.id === id)?.name ?? id;

  return (
    <section aria-label={t("title")}>
      <Typography.Title level={3} style={{ marginTop: 0 }}>
        {t("title")}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t("intro")}</Typography.Paragraph>
      {job !== undefined && <ImportJob key={job} id={job} t={t} onClose={() => set({ job: undefined })} />}
      <NewImport
        t={t}
        onStarted={(started) => {
          if (started.alreadyImported) void message.info(t("alreadyImported"));
          set({ job: started.id, page: undefined });
        }}
      />
      <Typography.Title level={4}>{t("history.title")}</Typography.Title>
      <LoadProblem error={list.error} text={(m) => t("history.loadFailed", { message: m })} />
      <Table<Job>
        rowKey="id"
        size="middle"
        dataSource={list.data?.items ?? []}
        loading={list.isFetching && !list.data}
        locale={{ emptyText: <Empty description={t("history.empty")} /> }}
        onRow={(j) => ({ "data-row": j.id, "data-state": j.state }) as HTMLAttributes<HTMLElement>}
        scroll={{ x: 900 }}
        columns={[
          { title: t("history.id"), key: "id", width: 70, render: (_, j) => `#${j.id}` },
          {
            title: t("history.file"),
            key: "file",
            render: (_, j) => (
              <span style={{ wordBreak: "break-all" }}>
                {j.fileName} <Typography.Text type="secondary">({j.format.toUpperCase()})</Typography.Text>
              </span>
            ),
          },
          { title: t("history.shop"), key: "shop", width: 140, render: (_, j) => shopName(j.shop) },
          {
            title: t("history.state"),
            key: "state",
            width: 100,
            render: (_, j) => <ToneTag tone={STATE_TONE[j.state]}>{t(`states.${j.state}`)}</ToneTag>,
          },
          {
            title: t("history.progress"),
            key: "progress",
            width: 220,
            render: (_, j) => (
              <Progress
                percent={j.percent}
                size="small"
                aria-label={t("history.progress")}
                status={j.state === "failed" ? "exception" : undefined}
              />
            ),
          },
          {
            title: t("history.rejected"),
            key: "rejected",
            width: 100,
            align: "right",
            render: (_, j) =>
              j.rejected.rows > 0 ? (
                <a href={j.rejectsUrl} download={`import-${j.id}-rejects.csv`}>
                  {j.rejected.rows.toLocaleString()}
                </a>
              ) : (
                "0"
              ),
          },
          {
            title: t("history.started"),
            key: "started",
            width: 150,
            render: (_, j) => dayjs(j.startedAt).format("YYYY-MM-DD HH:mm"),
          },
          {
            title: "",
            key: "open",
            width: 90,
            render: (_, j) => (
              <Button
                size="small"
                onClick={() => set({ job: j.id })}
                aria-label={`${t("history.open")} #${j.id}`}
              >
                {t("history.open")}
              </Button>
            ),
          },
        ]}
        pagination={{
          current: page,
          pageSize: size,
          total: list.data?.total ?? 0,
          pageSizeOptions: PAGE_SIZES.map(String),
          showSizeChanger: true,
          showTotal: (total) => t("history.total", { total }),
          onChange: (p, s) => set({ page: s === size ? p : 1, size: s }),
        }}
      />
    </section>
  );
}
