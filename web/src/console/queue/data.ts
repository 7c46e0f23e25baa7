import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { keys } from "../../shared/keys.ts";
import { type Filter, fromApi, type QueueState, toApi } from "./params.ts";

type Json<T> = T extends { responses: { 200: { content: { "application/json": infer J } } } } ? J : never;
type Created<T> = T extends { responses: { 201: { content: { "application/json": infer J } } } } ? J : never;

export type QueuePage = Json<paths["/api/v1/queue"]["get"]>;
export type QueueItem = QueuePage["items"][number];
export type View = Json<paths["/api/v1/views"]["get"]>["items"][number];
export type BatchAnswer = Json<paths["/api/v1/cases/batch"]["post"]>;
export type BatchBody = NonNullable<
  paths["/api/v1/cases/batch"]["post"]["requestBody"]
>["content"]["application/json"];
export type BatchAction = BatchBody["action"];
export type CreatedView = Created<paths["/api/v1/views"]["post"]>;
type QueueQuery = NonNullable<paths["/api/v1/queue"]["get"]["parameters"]["query"]>;

/** One page of the queue as the address says it: the server filters, sorts and pages (never all of it). */
export function useQueuePage(s: QueueState) {
  const query = {
    ...toApi(s.explicit),
    ...(s.view ? { view: s.view } : {}),
    sort: s.sort,
    order: s.order,
    offset: (s.page - 1) * s.size,
    limit: s.size,
  } as QueueQuery;
  return useQuery({
    queryKey: keys.queue(query),
    queryFn: () => call(api.GET("/api/v1/queue", { params: { query } })),
    // The page on screen stays while the next loads: no flash of emptiness between pages or filters.
    placeholderData: keepPreviousData,
  });
}

/** Saved and built-in views with their counts (refreshed by live events like the queue). */
export const useViews = () =>
  useQuery({ queryKey: keys.views(), queryFn: () => call(api.GET("/api/v1/views")) });

/** A view's filters as the screen holds them. */
export const viewFilter = (views: View[] | undefined, id: string | undefined): Filter | undefined => {
  const v = id ? views?.find((x) => x.id === id) : undefined;
  return v ? fromApi(v.filters as Record<string, unknown>) : undefined;
};

/** The lifecycle's states with their labels: the status filter's choices. */
export const useLifecycle = () =>
  useQuery({
    queryKey: keys.lifecycle(),
    queryFn: () => call(api.GET("/api/v1/lifecycle")),
    staleTime: Number.POSITIVE_INFINITY,
  });

/** The same key the people screen uses, so the shop list is fetched once. */
export const useShops = () =>
  useQuery({ queryKey: ["shops"], queryFn: () => call(api.GET("/api/v1/shops")) });

/** Colleagues to filter by or assign to, searched on the server (a large team is never loaded whole). */
export function usePeople(q: string, enabled = true) {
  const filters = { q: q || undefined, limit: 50 };
  return useQuery({
    queryKey: keys.users(filters),
    queryFn: () => call(api.GET("/api/v1/users", { params: { query: filters } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}
