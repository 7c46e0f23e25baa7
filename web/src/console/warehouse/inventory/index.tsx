import { ScanOutlined } from "@ant-design/icons";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Input, Select, Space, Table, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, call } from "../../../shared/api.ts";
import type { paths } from "../../../shared/api-types.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";
import { type Tone, ToneTag } from "../../../shared/tone.tsx";
import { ScreenHeader } from "../header.tsx";
import { TEXT } from "./text.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
type StockRow = Json<paths["/api/v1/inventory"]["get"]>["items"][number];
type Movement = Json<paths["/api/v1/inventory/movements"]["get"]>["items"][number];

const BUCKETS = ["sellable", "quarantine", "defective", "scrapped", "returnedToVendor"] as const;
const PAGE = 50;
/** Each bucket its own colour, whichever way the units move (the sign says that). */
const BUCKET_TONE: Record<(typeof BUCKETS)[number], Tone> = {
  sellable: "green",
  quarantine: "blue",
  defective: "orange",
  scrapped: "red",
  returnedToVendor: "purple",
};

/** A cursor-paged list: the cursors of the pages seen so far, so Previous goes back without counting. */
function usePages<C>() {
  const [cursors, setCursors] = useState<(C | undefined)[]>([undefined]);
  return {
    cursor: cursors.at(-1),
    page: cursors.length,
    next: (c: C) => setCursors((s) => [...s, c]),
    prev: () => setCursors((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setCursors([undefined]),
  };
}

function Pager({
  t,
  page,
  onPrev,
  onNext,
}: {
  t: TFunction;
  page: number;
  onPrev?: () => void;
  onNext?: () => void;
}) {
  return (
    <Space style={{ marginTop: 8 }}>
      <Button size="small" disabled={!onPrev} onClick={onPrev}>
        {t("prev")}
      </Button>
      <Typography.Text>{t("page", { page })}</Typography.Text>
      <Button size="small" disabled={!onNext} onClick={onNext}>
        {t("next")}
      </Button>
    </Space>
  );
}

/** 库存: exact stock per SKU and warehouse (the API reads inventory_stock), paged on the server, and the
 * ledger behind the chosen row. The SKU field takes a scanner's barcode. */
export default function InventoryScreen() {
  const { t } = useScreenText("inventory", TEXT);
  const [params, setParams] = useSearchParams();
  const sku = params.get("sku") ?? "";
  const warehouse = params.get("warehouse") ?? "";
  const picked = params.get("row");
  const pages = usePages<string>();
  const set = (change: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) v ? next.set(k, v) : next.delete(k);
    setParams(next, { replace: true });
  };

  const warehouses = useQuery({
    queryKey: keys.warehouses(),
    queryFn: () => call(api.GET("/api/v1/warehouses")),
    staleTime: 300_000,
  });
  const query = {
    limit: PAGE,
    ...(sku ? { sku } : {}),
    ...(warehouse ? { warehouse } : {}),
    ...(pages.cursor ? { cursor: pages.cursor } : {}),
  };
  const stock = useQuery({
    queryKey: keys.inventory(query),
    queryFn: () => call(api.GET("/api/v1/inventory", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const rowKey = (r: StockRow) => `${r.warehouse}/${r.sku}`;
  const rows = stock.data?.items ?? [];
  // One row alone (a scanned SKU in one warehouse) shows its movements at once.
  const chosen = rows.find((r) => rowKey(r) === picked) ?? (rows.length === 1 ? rows[0] : undefined);

  const columns: ColumnsType<StockRow> = [
    { title: t("warehouse"), dataIndex: "warehouse", width: 120 },
    { title: t("sku"), dataIndex: "sku", render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    ...BUCKETS.map((b) => ({
      title: t(`buckets.${b}`),
      dataIndex: b,
      align: "right" as const,
      render: (v: number) => <span data-bucket={b}>{v}</span>,
    })),
    {
      title: t("backorder"),
      dataIndex: "allowBackorder",
      render: (v: boolean) => (v ? t("yes") : t("no")),
    },
    {
      title: t("updatedAt"),
      dataIndex: "updatedAt",
      render: (v: string) => dayjs(v).format("YYYY-MM-DD HH:mm"),
    },
  ];

  return (
    <div data-testid="inventory">
      <ScreenHeader id="inventory-title" title={t("title")} subtitle={t("subtitle")}>
        <Link to="/warehouse">
          <ScanOutlined /> {t("stationLink")}
        </Link>
      </ScreenHeader>
      <Card size="small">
        <Space wrap>
          <Input.Search
            key={sku}
            id="inventory-sku"
            aria-label={t("sku")}
            placeholder={t("skuPlaceholder")}
            defaultValue={sku}
            allowClear
            autoFocus
            autoComplete="off"
            style={{ width: 320 }}
            onSearch={(v) => {
              pages.reset();
              set({ sku: v.trim() || null, row: null });
            }}
          />
          <Select
            aria-label={t("warehouse")}
            style={{ width: 200 }}
            value={warehouse}
            onChange={(v) => {
              pages.reset();
              set({ warehouse: v || null, row: null });
            }}
            options={[
              { value: "", label: t("allWarehouses") },
              ...(warehouses.data?.items ?? []).map((w) => ({ value: w.id, label: `${w.name} (${w.id})` })),
            ]}
          />
        </Space>
      </Card>
      {stock.error && (
        <Alert
          type="error"
          showIcon
          style={{ marginTop: 12 }}
          message={t("loadFailed", { message: stock.error.message })}
        />
      )}
      <Card
        size="small"
        style={{ marginTop: 12 }}
        title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("stockTitle")}</h2>}
      >
        <Table<StockRow>
          size="small"
          rowKey={rowKey}
          columns={columns}
          dataSource={rows}
          loading={stock.isFetching && !stock.data}
          pagination={false}
          locale={{ emptyText: t("empty") }}
          scroll={{ x: 900 }}
          onRow={(r) => ({
            "data-row": rowKey(r),
            onClick: () => set({ row: rowKey(r) }),
            style: {
              cursor: "pointer",
              ...(chosen && rowKey(chosen) === rowKey(r) ? { background: "#e6f0ff" } : {}),
            },
          })}
        />
        <Pager
          t={t}
          page={pages.page}
          {...(pages.page > 1 ? { onPrev: pages.prev } : {})}
          {...(stock.data?.nextCursor ? { onNext: () => pages.next(stock.data?.nextCursor as string) } : {})}
        />
      </Card>
      {chosen ? (
        <Movements key={rowKey(chosen)} t={t} row={chosen} />
      ) : (
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {t("movementsHint")}
        </Typography.Paragraph>
      )}
    </div>
  );
}

/** The ledger behind one stock row, newest first, paged on the server. */
function Movements({ t, row }: { t: TFunction; row: StockRow }) {
  const pages = usePages<number>();
  const query = {
    sku: row.sku,
    warehouse: row.warehouse,
    limit: PAGE,
    ...(pages.cursor ? { cursor: pages.cursor } : {}),
  };
  const moves = useQuery({
    queryKey: keys.movements(query),
    queryFn: () => call(api.GET("/api/v1/inventory/movements", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const columns: ColumnsType<Movement> = [
    {
      title: t("at"),
      dataIndex: "at",
      width: 150,
      render: (v: string) => dayjs(v).format("YYYY-MM-DD HH:mm:ss"),
    },
    {
      title: t("source"),
      dataIndex: "source",
      render: (s: Movement["source"]) => (
        <Space size={4}>
          <Tag>{t(`sources.${s.kind}`, { defaultValue: s.kind })}</Tag>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {s.key}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t("change"),
      dataIndex: "change",
      render: (c: Movement["change"]) => (
        <Space size={4} wrap>
          {BUCKETS.filter((b) => c[b] !== 0).map((b) => (
            <ToneTag key={b} tone={BUCKET_TONE[b]}>
              {t(`buckets.${b}`)} {c[b] > 0 ? `+${c[b]}` : c[b]}
            </ToneTag>
          ))}
        </Space>
      ),
    },
    {
      title: t("case"),
      dataIndex: "caseId",
      render: (id: number | null) => (id ? <Link to={`/cases/${id}`}>#{id}</Link> : "—"),
    },
    { title: t("actor"), dataIndex: "actor", render: (v: string) => v.replace(/^user:/, "") },
    { title: t("note"), dataIndex: "note", render: (v: string | null) => v ?? "" },
  ];
  return (
    <Card
      size="small"
      style={{ marginTop: 12 }}
      data-testid="movements"
      title={
        <h2 style={{ fontSize: 16, margin: 0 }}>
          {t("movementsTitle", { sku: row.sku, warehouse: row.warehouse })}
        </h2>
      }
    >
      <Table<Movement>
        size="small"
        rowKey="id"
        columns={columns}
        dataSource={moves.data?.items ?? []}
        loading={moves.isFetching && !moves.data}
        pagination={false}
        locale={{ emptyText: t("noMovements") }}
        scroll={{ x: 800 }}
      />
      <Pager
        t={t}
        page={pages.page}
        {...(pages.page > 1 ? { onPrev: pages.prev } : {})}
        {...(moves.data?.nextCursor ? { onNext: () => pages.next(moves.data?.nextCursor as number) } : {})}
      />
    </Card>
  );
}
