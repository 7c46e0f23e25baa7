import { DownloadOutlined } from "@ant-design/icons";
import type { UseQueryResult } from "@tanstack/react-query";
import { Alert, App, Button, Card, Dropdown, Empty, Skeleton, Space, Typography } from "antd";
import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { downloadReport } from "./data.ts";

/**
 * One chart's frame: a title that says what is shown, the units under it, the export of what it shows
 * (CSV, XLSX), and the chart itself — or its loading skeleton, its error with a retry, or the sentence
 * saying there is nothing to draw.
 */
export function ChartCard({
  t,
  id,
  title,
  subtitle,
  extra,
  result,
  empty,
  emptyText,
  exportAs,
  children,
}: {
  t: TFunction;
  id: string;
  title: string;
  subtitle: string;
  extra?: ReactNode;
  result: UseQueryResult<unknown>;
  empty: boolean;
  emptyText: string;
  /** The API path (under /analytics/) and query that answer as a file. */
  exportAs: { path: string; query: object };
  children: ReactNode;
}) {
  const { message } = App.useApp();
  const download = async (format: "csv" | "xlsx") => {
    try {
      const file = await downloadReport(exportAs.path, exportAs.query, format);
      void message.success(t("exported", { file }));
    } catch (e) {
      void message.error(t("exportFailed", { message: (e as Error).message }));
    }
  };
  const titleId = `${id}-title`;
  let body: ReactNode;
  if (result.error)
    body = (
      <Alert
        type="error"
        showIcon
        role="alert"
        title={t("loadFailed", { message: result.error.message })}
        action={
          <Button size="small" onClick={() => void result.refetch()}>
            {t("retry")}
          </Button>
        }
      />
    );
  else if (result.isPending) body = <Skeleton active paragraph={{ rows: 5 }} />;
  else if (empty) body = <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={emptyText} />;
  else body = children;
  return (
    <Card
      data-card={id}
      aria-labelledby={titleId}
      role="region"
      styles={{ body: { paddingTop: 8 } }}
      title={
        <div style={{ whiteSpace: "normal", padding: "8px 0" }}>
          <Typography.Title level={2} id={titleId} style={{ fontSize: 16, margin: 0 }}>
            {title}
          </Typography.Title>
          <Typography.Text type="secondary" style={{ fontSize: 13, fontWeight: "normal" }}>
            {subtitle}
          </Typography.Text>
        </div>
      }
      extra={
        <Space wrap>
          {extra}
          <Dropdown
            trigger={["click"]}
            disabled={empty || !result.data}
            menu={{
              items: [
                { key: "csv", label: t("csv") },
                { key: "xlsx", label: t("xlsx") },
              ],
              onClick: ({ key }) => void download(key as "csv" | "xlsx"),
            }}
          >
            <Button icon={<DownloadOutlined />} aria-label={t("exportOf", { chart: title })}>
              {t("export")}
            </Button>
          </Dropdown>
        </Space>
      }
    >
      {body}
    </Card>
  );
}
