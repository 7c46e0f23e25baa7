/**
 * The query-key scheme, one entry per resource. Live events (live.ts) invalidate by these prefixes, so
 * a mutation never lists what to refresh: the server's event for the change does.
 */
export const keys = {
  session: () => ["session"] as const,
  case: (id: number) => ["case", id] as const,
  caseView: (id: number) => ["case", id, "view"] as const,
  order: (id: number) => ["order", id] as const,
  queue: (filters?: object) => (filters ? (["queue", filters] as const) : (["queue"] as const)),
  board: (filters?: object) => (filters ? (["board", filters] as const) : (["board"] as const)),
  views: () => ["views"] as const,
  users: (filters?: object) => (filters ? (["users", filters] as const) : (["users"] as const)),
  lifecycle: () => ["lifecycle"] as const,
  shops: () => ["shops"] as const,
  /** One shop's settings (credentials, sync, return address, review): not announced live. */
  shop: (id: string, part?: string) => (part ? (["shop", id, part] as const) : (["shop", id] as const)),
  settings: (name: string) => ["settings", name] as const,
  /** What arrived for a case and what QC found (under the case, so its live events refresh it). */
  receiptLines: (id: number) => ["case", id, "receipt-lines"] as const,
  /** QC's quote for the units as graded on screen (reads only). */
  qcQuote: (id: number, lines: object) => ["case", id, "qc-quote", lines] as const,
  /** Stock per SKU and warehouse, and the movements behind it. */
  inventory: (filters?: object) => (filters ? (["inventory", filters] as const) : (["inventory"] as const)),
  movements: (filters: object) => ["inventory", "movements", filters] as const,
  warehouses: () => ["warehouses"] as const,
  /** Unidentified parcels (无头件). */
  parcels: (filters?: object) => (filters ? (["parcels", filters] as const) : (["parcels"] as const)),
  /** One analytics answer (a chart's) for its filters; refreshed a moment after changes (live.ts). */
  analytics: (name?: string, filters?: object) =>
    name ? (["analytics", name, filters ?? {}] as const) : (["analytics"] as const),
  /** Refund legs as finance follows them: every case change may move one (a refund's status is a case change). */
  refunds: (filters?: object) => (filters ? (["refunds", filters] as const) : (["refunds"] as const)),
  /** The finance report and anything else read from the ledger: money moved (a refund, a compensation). */
  ledger: (query?: object) => (query ? (["ledger", query] as const) : (["ledger"] as const)),
  /** Reconciliation reports: not announced live (a day's report changes when someone reconciles it). */
  reconciliations: (filters?: object) =>
    filters ? (["reconciliations", filters] as const) : (["reconciliations"] as const),
  reconciliation: (id: number) => ["reconciliation", id] as const,
  /** The rules vocabulary (reasons, solutions, policies): changes only with a release. */
  vocabulary: () => ["vocabulary"] as const,
  /** Rule set versions and who may activate them. */
  rules: () => ["rules"] as const,
  /** API tokens, product policies and the audit log: not announced live; each screen refreshes its own after a change. */
  tokens: (filters?: object) => (filters ? (["tokens", filters] as const) : (["tokens"] as const)),
  policies: (filters?: object) => (filters ? (["policies", filters] as const) : (["policies"] as const)),
  audit: (filters?: object) => (filters ? (["audit", filters] as const) : (["audit"] as const)),
  /** Risk and quality alerts (预警): raised as cases are reviewed, so case changes refresh them. */
  alerts: (filters?: object) => (filters ? (["alerts", filters] as const) : (["alerts"] as const)),
  /** Order imports and one import as it runs (followed by polling while it runs). */
  imports: (filters?: object) => (filters ? (["imports", filters] as const) : (["imports"] as const)),
  importJob: (id: number) => ["import", id] as const,
};
