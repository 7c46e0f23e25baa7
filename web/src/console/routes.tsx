import {
  AccountBookOutlined,
  AlertOutlined,
  AppstoreOutlined,
  AuditOutlined,
  BarChartOutlined,
  DatabaseOutlined,
  FileSearchOutlined,
  ImportOutlined,
  InboxOutlined,
  KeyOutlined,
  SafetyCertificateOutlined,
  ScanOutlined,
  SettingOutlined,
  ShopOutlined,
  TeamOutlined,
} from "@ant-design/icons";
import type { ComponentType, ReactNode } from "react";
import type { Permission } from "../shared/session.ts";

/**
 * The console's screens, one line each: the URL (folders under console/ mirror it), the code (loaded
 * when first opened, so the first visit downloads only what it shows), and where it sits in the menu.
 */
export interface Screen {
  path: string;
  load: () => Promise<{ default: ComponentType }>;
  permission: Permission;
  /**
   * Shown in the menu under this common.nav key (both locales must name it); absent: reached by links
   * only. Screens of a group sit together in a submenu (设置: the merchant's settings).
   */
  nav?: { key: string; icon: ReactNode; group?: "settings" };
}

export const SCREENS: Screen[] = [
  {
    path: "queue",
    load: () => import("./queue/index.tsx"),
    permission: "cases.read",
    nav: { key: "queue", icon: <InboxOutlined /> },
  },
  { path: "cases/:id", load: () => import("./cases/[id]/index.tsx"), permission: "cases.read" },
  {
    path: "board",
    load: () => import("./board/index.tsx"),
    permission: "cases.read",
    nav: { key: "board", icon: <AppstoreOutlined /> },
  },
  {
    path: "warehouse",
    load: () => import("./warehouse/index.tsx"),
    permission: "case.receive",
    nav: { key: "warehouse", icon: <ScanOutlined /> },
  },
  {
    path: "warehouse/inventory",
    load: () => import("./warehouse/inventory/index.tsx"),
    permission: "inventory.read",
    nav: { key: "inventory", icon: <DatabaseOutlined /> },
  },
  {
    // Managers' and supervisors' numbers; every role reading cases may see them (the API's analytics
    // permission), the cost chart only with finance.read.
    path: "analytics",
    load: () => import("./analytics/index.tsx"),
    permission: "cases.read",
    nav: { key: "analytics", icon: <BarChartOutlined /> },
  },
  {
    path: "finance",
    load: () => import("./finance/index.tsx"),
    permission: "finance.read",
    nav: { key: "finance", icon: <AccountBookOutlined /> },
  },
  { path: "finance/report", load: () => import("./finance/report/index.tsx"), permission: "finance.read" },
  {
    path: "finance/reconciliations",
    load: () => import("./finance/reconciliations/index.tsx"),
    permission: "reconciliations.read",
  },
  {
    path: "finance/reconciliations/:id",
    load: () => import("./finance/reconciliations/[id]/index.tsx"),
    permission: "reconciliations.read",
  },
  {
    path: "rules",
    load: () => import("./rules/index.tsx"),
    permission: "rules.read",
    nav: { key: "rules", icon: <AuditOutlined /> },
  },
  {
    path: "alerts",
    load: () => import("./alerts/index.tsx"),
    permission: "alerts.read",
    nav: { key: "alerts", icon: <AlertOutlined /> },
  },
  {
    path: "settings/users",
    load: () => import("./settings/users/index.tsx"),
    permission: "users.write",
    nav: { key: "users", icon: <TeamOutlined />, group: "settings" },
  },
  {
    path: "settings/shops",
    load: () => import("./settings/shops/index.tsx"),
    permission: "shops.write",
    nav: { key: "shops", icon: <ShopOutlined />, group: "settings" },
  },
  {
    path: "settings/shops/:shop",
    load: () => import("./settings/shops/[shop]/index.tsx"),
    permission: "shops.write",
  },
  {
    path: "settings/general",
    load: () => import("./settings/general/index.tsx"),
    permission: "settings.write",
    nav: { key: "general", icon: <SettingOutlined />, group: "settings" },
  },
  {
    path: "settings/tokens",
    load: () => import("./settings/tokens/index.tsx"),
    permission: "tokens.write",
    nav: { key: "tokens", icon: <KeyOutlined />, group: "settings" },
  },
  {
    path: "settings/policies",
    load: () => import("./settings/policies/index.tsx"),
    permission: "settings.write",
    nav: { key: "policies", icon: <SafetyCertificateOutlined />, group: "settings" },
  },
  {
    path: "settings/audit",
    load: () => import("./settings/audit/index.tsx"),
    permission: "audit.read",
    nav: { key: "audit", icon: <FileSearchOutlined />, group: "settings" },
  },
  {
    path: "imports",
    load: () => import("./imports/index.tsx"),
    permission: "imports.write",
    nav: { key: "imports", icon: <ImportOutlined />, group: "settings" },
  },
];
