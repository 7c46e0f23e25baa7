import { SettingOutlined } from "@ant-design/icons";
import { Button, Checkbox, Popover, Space, Typography } from "antd";
import type { ColumnType } from "antd/es/table";
import type { TFunction } from "i18next";
import { useState } from "react";
import { Age, Amount, Customer, OrderRef, Owner, Risk, SlaDue, Status } from "./cells.tsx";
import type { QueueItem } from "./data.ts";
import type { Order, Sort } from "./params.ts";

/** The table's columns, one line each: what it shows, and the server's sort it stands for (if any). */
const COLUMNS = {
  order: { title: "order", sort: "id", width: 170 },
  status: { title: "status", width: 150 },
  type: { title: "type", width: 100 },
  reason: { title: "reason", width: 120 },
  shop: { title: "shop", width: 110 },
  source: { title: "source", width: 100 },
  risk: { title: "risk", sort: "riskScore", width: 80, align: "right" },
  amount: { title: "amount", sort: "amount", width: 120, align: "right" },
  customer: { title: "customer", width: 130 },
  owner: { title: "owner", width: 110 },
  slaDue: { title: "slaDue", sort: "slaDueAt", width: 140 },
  age: { title: "age", sort: "createdAt", width: 90 },
} as const satisfies Record<string, { title: string; sort?: Sort; width: number; align?: "right" }>;
export type ColumnId = keyof typeof COLUMNS;
const IDS = Object.keys(COLUMNS) as ColumnId[];
/** Always shown: a row must say which case it is. */
const FIXED: ColumnId = "order";
const DEFAULT_HIDDEN: ColumnId[] = ["source"];
const STORAGE_KEY = "aftersales.queue.hiddenColumns";

function render(id: ColumnId, item: QueueItem, t: TFunction, now: number, onOpen: (id: number) => void) {
  switch (id) {
    case "order":
      return (
        // A real link (a new tab opens the case's own page); a plain click opens it beside the list.
        <a
          href={`/cases/${item.id}`}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
            e.preventDefault();
            onOpen(item.id);
          }}
        >
          <OrderRef item={item} />
        </a>
      );
    case "status":
      return <Status item={item} t={t} />;
    case "type":
      return t(`types.${item.type}`);
    case "reason":
      return t(`reasons.${item.reason}`, { defaultValue: item.reason });
    case "shop":
      return item.shop;
    case "source":
      return t(`sources.${item.source}`, { defaultValue: item.source });
    case "risk":
      return <Risk score={item.riskScore} />;
    case "amount":
      return <Amount item={item} />;
    case "customer":
      return <Customer item={item} t={t} />;
    case "owner":
      return <Owner item={item} t={t} />;
    case "slaDue":
      return <SlaDue item={item} now={now} t={t} />;
    case "age":
      return <Age item={item} now={now} t={t} />;
  }
}

/** The shown columns, remembered on this browser. */
export function useHiddenColumns(): [ColumnId[], (hidden: ColumnId[]) => void] {
  const [hidden, setHidden] = useState<ColumnId[]>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as unknown;
      return Array.isArray(saved)
        ? saved.filter((x): x is ColumnId => IDS.includes(x as ColumnId))
        : DEFAULT_HIDDEN;
    } catch {
      return DEFAULT_HIDDEN;
    }
  });
  const save = (next: ColumnId[]) => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setHidden(next);
  };
  return [hidden, save];
}

export function tableColumns(
  t: TFunction,
  hidden: ColumnId[],
  sort: { sort: Sort; order: Order },
  now: number,
  onOpen: (id: number) => void,
): ColumnType<QueueItem>[] {
  return IDS.filter((id) => id === FIXED || !hidden.includes(id)).map((id) => {
    const c: { title: string; sort?: Sort; width: number; align?: "right" } = COLUMNS[id];
    return {
      key: id,
      title: t(c.title),
      width: c.width,
      align: c.align,
      sorter: Boolean(c.sort),
      sortOrder: c.sort && c.sort === sort.sort ? (sort.order === "asc" ? "ascend" : "descend") : null,
      sortDirections: c.sort ? ["ascend" as const, "descend" as const, "ascend" as const] : undefined,
      render: (_: unknown, item: QueueItem) => render(id, item, t, now, onOpen),
    };
  });
}

/** The server's sort a column header stands for. */
export const sortOfColumn = (id: string): Sort | undefined =>
  (COLUMNS as Record<string, { sort?: Sort }>)[id]?.sort;

export function ColumnSettings({
  t,
  hidden,
  onChange,
}: {
  t: TFunction;
  hidden: ColumnId[];
  onChange: (hidden: ColumnId[]) => void;
}) {
  const choices = IDS.filter((id) => id !== FIXED);
  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      title={t("columnsHint")}
      content={
        <Checkbox.Group
          aria-label={t("columnsHint")}
          value={choices.filter((id) => !hidden.includes(id))}
          onChange={(shown) => onChange(choices.filter((id) => !shown.includes(id)))}
        >
          <Space orientation="vertical" size={4}>
            {choices.map((id) => (
              <Checkbox key={id} value={id}>
                {t(COLUMNS[id].title)}
              </Checkbox>
            ))}
          </Space>
        </Checkbox.Group>
      }
    >
      <Button icon={<SettingOutlined />}>
        <Typography.Text>{t("columns")}</Typography.Text>
      </Button>
    </Popover>
  );
}
