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
  settings: (name: string) => ["settings", name] as const,
  /** The rules vocabulary (reasons, solutions, policies): changes only with a release. */
  vocabulary: () => ["vocabulary"] as const,
};
