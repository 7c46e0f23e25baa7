import type zhCN from "./zh-CN.ts";

type Strings<T> = { [K in keyof T]: T[K] extends string ? string : Strings<T[K]> };

/** The same keys as zh-CN (the type checks it). */
const en: Strings<typeof zhCN> = {
  app: { name: "After-sales", title: "Aftersales" },
  nav: {
    alerts: "Alerts",
    imports: "Import orders",
    queue: "Review workspace",
    board: "Live board",
    warehouse: "Returns receiving",
    inventory: "Stock",
    analytics: "Analytics",
    finance: "Finance",
    users: "People",
    shops: "Shops",
    general: "General",
    settings: "Settings",
    rules: "Review rules",
    tokens: "API tokens",
    policies: "Product policies",
    audit: "Audit log",
  },
  header: {
    language: "Language",
    onDuty: "On duty",
    offDuty: "Off duty",
    onDutyHint: "While on duty, new cases are assigned to you automatically",
    signOut: "Sign out",
    live: { connecting: "Connecting", live: "Live", reconnecting: "Reconnecting" },
    menu: "Menu",
  },
  roles: {
    admin: "Administrator",
    cs_agent: "Customer service",
    reviewer: "Reviewer",
    supervisor: "Supervisor",
    warehouse: "Warehouse",
    finance: "Finance",
  },
  actions: {
    ok: "OK",
    cancel: "Cancel",
    save: "Save",
    create: "New",
    edit: "Edit",
    delete: "Delete",
    retry: "Retry",
    reload: "Reload",
    close: "Close",
    search: "Search",
    reset: "Reset",
    back: "Back",
  },
  list: { total: "{{total}} in all", empty: "Nothing here", allShops: "All shops" },
  errors: {
    title: "Something went wrong",
    network: "Cannot reach the server; check the connection and try again.",
    forbidden: "Your role may not open this page.",
    notFound: "No such page.",
    unknown: "An unknown error occurred",
  },
  time: { ago: "{{time}} ago" },
};
export default en;
