import { Tabs, Typography } from "antd";
import type { ReactNode } from "react";
import { useLocation, useNavigate } from "react-router";
import { useScreenText } from "../../shared/i18n.ts";
import { useCan } from "../../shared/session.ts";
import { TEXT } from "./text.ts";

const PAGES = [
  { key: "refunds", path: "/finance", permission: "finance.read" },
  { key: "report", path: "/finance/report", permission: "finance.read" },
  { key: "reconciliations", path: "/finance/reconciliations", permission: "reconciliations.read" },
] as const;

/**
 * The finance screens' shared head: the section's title, its three pages as tabs (each its own address),
 * and the page's own buttons on the right.
 */
export function FinanceHeader({ extra }: { extra?: ReactNode }) {
  const { t } = useScreenText("finance", TEXT);
  const can = useCan();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const active = [...PAGES].reverse().find((p) => pathname.startsWith(p.path))?.key ?? "refunds";
  return (
    <div style={{ marginBottom: 12 }}>
      <div style={{ display: "flex", flexWrap: "wrap", gap: 8, alignItems: "center" }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0, marginInlineEnd: "auto" }}>
          {t("section")} · {t(`tabs.${active}`)}
        </Typography.Title>
        {extra}
      </div>
      <nav aria-label={t("section")}>
        <Tabs
          activeKey={active}
          onChange={(key) => navigate(PAGES.find((p) => p.key === key)?.path ?? "/finance")}
          items={PAGES.filter((p) => can(p.permission)).map((p) => ({
            key: p.key,
            label: t(`tabs.${p.key}`),
          }))}
          style={{ marginBottom: 0 }}
        />
      </nav>
    </div>
  );
}
