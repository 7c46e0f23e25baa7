import { Table } from "antd";
import type { TFunction } from "i18next";
import { type ColumnId, sortOfColumn, tableColumns } from "./columns.tsx";
import type { QueueItem } from "./data.ts";
import { DEFAULT_ORDER, type Order, PAGE_SIZES, type Sort } from "./params.ts";

/** The highlighted row (j/k) and the open one stand out; the selection column does not open cases. */
const ROW_STYLE = `
.queue-table .queue-row { cursor: pointer; }
.queue-table .queue-row-current > td { background: #e6f0ff !important; }
.queue-table .queue-row-current > td:first-child { box-shadow: inset 3px 0 0 #1557c0; }
`;

/** The wide list: server-side paged and sorted (100,000 open cases never come to the browser at once). */
export function QueueTable({
  t,
  items,
  total,
  loading,
  hidden,
  sort,
  page,
  size,
  now,
  current,
  selectable,
  selectedIds,
  onSelect,
  onOpen,
  onSort,
  onPage,
}: {
  t: TFunction;
  items: QueueItem[];
  total: number;
  loading: boolean;
  hidden: ColumnId[];
  sort: { sort: Sort; order: Order };
  page: number;
  size: number;
  now: number;
  current: number | undefined;
  selectable: boolean;
  selectedIds: number[];
  onSelect: (ids: number[]) => void;
  onOpen: (id: number) => void;
  onSort: (sort: Sort, order: Order) => void;
  onPage: (page: number, size: number) => void;
}) {
  return (
    <>
      <style>{ROW_STYLE}</style>
      {/* Scrolls sideways in its own box: Ant Design's scroll.x would add a hidden measuring row that
          repeats the header's select-all checkbox where assistive technology is told nothing is. */}
      <div style={{ overflowX: "auto" }}>
        <Table<QueueItem>
          className="queue-table"
          rowKey="id"
          size="small"
          loading={loading}
          dataSource={items}
          columns={tableColumns(t, hidden, sort, now, onOpen)}
          locale={{ emptyText: t("empty") }}
          rowClassName={(item) => (item.id === current ? "queue-row queue-row-current" : "queue-row")}
          onRow={(item) => ({
            "aria-current": item.id === current ? "true" : undefined,
            "data-row": item.id,
            onClick: (e) => {
              const target = e.target as HTMLElement;
              if (target.closest(".ant-table-selection-column, a, button, input")) return;
              onOpen(item.id);
            },
          })}
          rowSelection={
            selectable
              ? {
                  selectedRowKeys: selectedIds,
                  onChange: (keys) => onSelect(keys.map(Number)),
                  columnWidth: 40,
                  getCheckboxProps: (item) => ({
                    "aria-label": t("selectCase", { id: item.orderExternalId }),
                  }),
                }
              : undefined
          }
          onChange={(pagination, _filters, sorter, extra) => {
            if (extra.action === "sort") {
              const s = Array.isArray(sorter) ? sorter[0] : sorter;
              const by = sortOfColumn(String(s?.columnKey ?? ""));
              if (by && s?.order) onSort(by, s.order === "ascend" ? "asc" : "desc");
              else onSort("slaDueAt", DEFAULT_ORDER.slaDueAt);
            } else if (extra.action === "paginate") {
              onPage(pagination.current ?? 1, pagination.pageSize ?? size);
            }
          }}
          pagination={{
            current: page,
            pageSize: size,
            total,
            showSizeChanger: true,
            pageSizeOptions: PAGE_SIZES.map(String),
            showTotal: (n) => t("common:list.total", { total: n }),
          }}
        />
      </div>
    </>
  );
}
