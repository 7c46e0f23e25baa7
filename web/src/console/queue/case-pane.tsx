import { ExportOutlined } from "@ant-design/icons";
import { Drawer, Tooltip } from "antd";
import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { QueueItem } from "./data.ts";

/**
 * The open case beside the list, like a mail client's reading pane: on a wide screen the list stays
 * usable beside it (no mask: j/k keep moving through the queue); on a phone it fills the screen.
 */
export function CasePane({
  t,
  id,
  item,
  compact,
  onClose,
  children,
}: {
  t: TFunction;
  id: number | undefined;
  /** The open case's row, when the list holds it: the pane is titled by what people quote. */
  item?: QueueItem | undefined;
  compact: boolean;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Drawer
      open={id !== undefined}
      onClose={onClose}
      placement="right"
      size={compact ? "100%" : "min(760px, 62vw)"}
      mask={compact}
      closable={{ "aria-label": t("closePane") }}
      // The view inside heads itself "Case #id": the pane names the order and the customer instead.
      title={
        id === undefined
          ? ""
          : item
            ? [item.orderExternalId, item.customer?.name].filter(Boolean).join(" · ")
            : t("caseTitle", { id })
      }
      extra={
        id !== undefined && (
          <Tooltip title={t("openFull")}>
            <Link to={`/cases/${id}`} aria-label={t("openFull")} style={{ padding: 6 }}>
              <ExportOutlined aria-hidden />
            </Link>
          </Tooltip>
        )
      }
      styles={{ body: { padding: compact ? 12 : 16 } }}
      data-testid="case-pane"
    >
      {children}
    </Drawer>
  );
}
