import { Empty, Pagination, Spin } from "antd";
import type { TFunction } from "i18next";
import { Amount, Customer, Owner, SlaDue, Status } from "./cells.tsx";
import type { QueueItem } from "./data.ts";

/**
 * The queue on a phone: one card a case with what a reviewer decides by — order, state, amount,
 * customer, deadline — and a tap opens it. The wide table's other columns stay on wide screens.
 */
export function QueueCards({
  t,
  items,
  total,
  page,
  size,
  loading,
  now,
  current,
  onOpen,
  onPage,
}: {
  t: TFunction;
  items: QueueItem[];
  total: number;
  page: number;
  size: number;
  loading: boolean;
  now: number;
  current: number | undefined;
  onOpen: (id: number) => void;
  onPage: (page: number) => void;
}) {
  if (!loading && items.length === 0) return <Empty description={t("empty")} />;
  return (
    <Spin spinning={loading}>
      <ul
        style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: 8 }}
        aria-label={t("title")}
      >
        {items.map((item) => (
          <li key={item.id}>
            <button
              type="button"
              onClick={() => onOpen(item.id)}
              aria-current={current === item.id ? "true" : undefined}
              data-row={item.id}
              style={{
                display: "grid",
                gap: 6,
                width: "100%",
                textAlign: "start",
                padding: 12,
                border: `1px solid ${current === item.id ? "#1557c0" : "#e8e8e8"}`,
                borderRadius: 8,
                background: current === item.id ? "#f0f5ff" : "#fff",
                font: "inherit",
                color: "inherit",
                cursor: "pointer",
              }}
            >
              <span
                style={{ display: "flex", justifyContent: "space-between", gap: 8, alignItems: "center" }}
              >
                <span style={{ fontWeight: 600, overflowWrap: "anywhere" }}>{item.orderExternalId}</span>
                <Status item={item} t={t} />
              </span>
              <span style={{ display: "flex", justifyContent: "space-between", gap: 8 }}>
                <span>
                  {t(`types.${item.type}`)} · {t(`reasons.${item.reason}`, { defaultValue: item.reason })}
                </span>
                <strong>
                  <Amount item={item} />
                </strong>
              </span>
              <span style={{ display: "flex", justifyContent: "space-between", gap: 8, flexWrap: "wrap" }}>
                <Customer item={item} t={t} />
                <span>
                  {t("ownerIs")}
                  <Owner item={item} t={t} />
                </span>
              </span>
              <SlaDue item={item} now={now} t={t} />
            </button>
          </li>
        ))}
      </ul>
      {total > size && (
        <Pagination
          simple
          current={page}
          pageSize={size}
          total={total}
          onChange={onPage}
          style={{ marginTop: 12, justifyContent: "center" }}
        />
      )}
    </Spin>
  );
}
