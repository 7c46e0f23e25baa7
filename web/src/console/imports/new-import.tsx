import { InboxOutlined, PlayCircleOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Select, Space, Table, Tag, Typography, Upload } from "antd";
import type { TFunction } from "i18next";
import { useState } from "react";
import { type Preview, type Started, usePreview, useShops, useStartImport } from "./data.ts";

const CURRENCIES = ["CNY", "HKD", "USD", "EUR", "GBP", "JPY"] as const;

/** The preset's column for each field where the file has that column; the rest unmapped. */
function columnsFor(preview: Preview, preset: string): Record<string, string> {
  const p = preview.presets.find((x) => x.name === preset);
  const has = new Set(preview.header);
  return Object.fromEntries(
    preview.fields.map((f) => {
      const col = p?.columns[f.name];
      return [f.name, col && has.has(col) ? col : ""];
    }),
  );
}

/** What stops the next step, said where the person looks (announced to screen readers). */
function Problem({ text, type = "error" }: { text: string; type?: "error" | "warning" }) {
  return <Alert type={type} showIcon role="alert" style={{ marginBottom: 12 }} title={text} />;
}

/**
 * A new import: the file chosen (its header read by the server), its columns mapped onto our fields —
 * filled from the preset its header matches, changed by hand where needed — the shop, then started.
 */
export function NewImport({ t, onStarted }: { t: TFunction; onStarted: (job: Started) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [preset, setPreset] = useState("generic");
  const [columns, setColumns] = useState<Record<string, string>>({});
  const [currency, setCurrency] = useState<string | undefined>();
  const [shop, setShop] = useState<string | undefined>();
  const [tried, setTried] = useState(false);
  const preview = usePreview();
  const start = useStartImport();
  const shops = useShops();
  const data = preview.data;

  const choose = (f: File) => {
    setFile(f);
    setTried(false);
    start.reset();
    preview.mutate(f, {
      onSuccess: (p) => {
        setPreset(p.preset.name);
        setColumns(columnsFor(p, p.preset.name));
        setCurrency(p.presets.find((x) => x.name === p.preset.name)?.currency ?? undefined);
      },
    });
    return false; // kept in the browser until the import starts
  };

  const pickPreset = (name: string) => {
    if (!data) return;
    setPreset(name);
    setColumns(columnsFor(data, name));
    setCurrency(data.presets.find((x) => x.name === name)?.currency ?? undefined);
  };

  const missing = (data?.fields ?? []).filter((f) => f.required && !columns[f.name]);
  const needCurrency = !columns.currency && !currency;
  const ready = file && data && missing.length === 0 && !needCurrency && shop;

  const submit = () => {
    setTried(true);
    if (!ready || !file || !shop) return;
    start.mutate(
      { file, shop, preset, mapping: { columns, ...(currency ? { currency } : {}) } },
      {
        onSuccess: (job) => {
          onStarted(job);
          setFile(null);
          preview.reset();
          setTried(false);
        },
      },
    );
  };

  if (!file || (!data && !preview.isPending))
    return (
      <Card title={t("upload.label")} style={{ marginBottom: 16 }}>
        {preview.error && <Problem text={t("upload.failed", { message: preview.error.message })} />}
        <Upload.Dragger
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          multiple={false}
          showUploadList={false}
          beforeUpload={choose}
          aria-label={t("upload.label")}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">{t("upload.drop")}</p>
          <p className="ant-upload-hint">{t("upload.hint")}</p>
        </Upload.Dragger>
      </Card>
    );

  if (!data) return <Card loading title={t("upload.reading")} style={{ marginBottom: 16 }} />;

  const options = [
    { value: "", label: t("map.none") },
    ...data.header.filter((h) => h !== "").map((h) => ({ value: h, label: h })),
  ];
  const presetLabel = (name: string) => t(`map.presets.${name}`, { defaultValue: name });

  return (
    <Card
      title={`${t("map.title")} · ${file.name}`}
      extra={
        <Button
          onClick={() => {
            setFile(null);
            preview.reset();
          }}
        >
          {t("upload.other")}
        </Button>
      }
      style={{ marginBottom: 16 }}
      data-testid="mapping"
    >
      <Alert
        type={data.preset.matches ? "success" : "info"}
        showIcon
        style={{ marginBottom: 12 }}
        title={
          data.preset.matches
            ? t("map.detected", { preset: presetLabel(data.preset.name) })
            : t("map.notDetected")
        }
      />
      <Space wrap size="large" style={{ marginBottom: 12 }}>
        <span>
          <label htmlFor="import-preset" style={{ marginInlineEnd: 8 }}>
            {t("map.preset")}
          </label>
          <Select
            id="import-preset"
            value={preset}
            onChange={pickPreset}
            options={data.presets.map((p) => ({ value: p.name, label: presetLabel(p.name) }))}
            style={{ minWidth: 200 }}
          />
        </span>
        <span>
          <label htmlFor="import-shop" style={{ marginInlineEnd: 8 }}>
            {t("map.shop")}
          </label>
          <Select
            id="import-shop"
            value={shop}
            placeholder={t("map.shopRequired")}
            status={tried && !shop ? "error" : undefined}
            onChange={setShop}
            options={(shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            style={{ minWidth: 200 }}
            data-testid="shop"
          />
        </span>
        <span>
          <label htmlFor="import-currency" style={{ marginInlineEnd: 8 }}>
            {t("map.currency")}
          </label>
          <Select
            id="import-currency"
            allowClear
            value={currency}
            title={t("map.currencyHint")}
            status={tried && needCurrency ? "error" : undefined}
            onChange={setCurrency}
            options={CURRENCIES.map((c) => ({ value: c, label: c }))}
            style={{ minWidth: 110 }}
          />
        </span>
      </Space>
      <Table
        size="small"
        rowKey="name"
        pagination={false}
        dataSource={data.fields}
        style={{ marginBottom: 12 }}
        onRow={(f) => ({ "data-field": f.name }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("map.field"),
            key: "field",
            width: 220,
            render: (_, f) => (
              <Space size={4}>
                <span>{t(`fields.${f.name}`)}</span>
                {f.required && <Tag>{t("map.required")}</Tag>}
              </Space>
            ),
          },
          {
            title: t("map.column"),
            key: "column",
            render: (_, f) => (
              <Select
                aria-label={t(`fields.${f.name}`)}
                value={columns[f.name] ?? ""}
                status={tried && f.required && !columns[f.name] ? "error" : undefined}
                onChange={(v: string) => setColumns((c) => ({ ...c, [f.name]: v }))}
                options={f.required ? options.slice(1) : options}
                placeholder={t("map.pick")}
                style={{ minWidth: 220 }}
              />
            ),
          },
        ]}
      />
      <Typography.Text strong>{t("map.sample")}</Typography.Text>
      <Table
        size="small"
        rowKey={(_, i) => String(i)}
        pagination={false}
        scroll={{ x: "max-content" }}
        style={{ margin: "8px 0 12px" }}
        dataSource={data.sample.map((cells) => ({ cells }))}
        columns={data.header.map((h, i) => ({
          title: h || `#${i + 1}`,
          key: `${i}`,
          render: (_: unknown, r: { cells: string[] }) => r.cells[i] ?? "",
        }))}
      />
      {tried && (missing.length > 0 || needCurrency || !shop) && (
        <Problem
          type="warning"
          text={[
            missing.length
              ? t("map.missing", { fields: missing.map((f) => t(`fields.${f.name}`)).join("、") })
              : "",
            needCurrency ? t("map.needCurrency") : "",
            shop ? "" : t("map.shopRequired"),
          ]
            .filter(Boolean)
            .join("；")}
        />
      )}
      {start.error && <Problem text={t("startFailed", { message: start.error.message })} />}
      <Button type="primary" icon={<PlayCircleOutlined />} loading={start.isPending} onClick={submit}>
        {t("start")}
      </Button>
    </Card>
  );
}
