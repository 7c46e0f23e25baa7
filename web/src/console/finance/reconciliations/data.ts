import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call } from "../../../shared/api.ts";
import type { paths } from "../../../shared/api-types.ts";
import { keys } from "../../../shared/keys.ts";

type Json<T, S extends number = 200> = T extends {
  responses: { [K in S]: { content: { "application/json": infer J } } };
}
  ? J
  : never;
export type RunPage = Json<paths["/api/v1/reconciliations"]["get"]>;
export type Run = RunPage["items"][number];
export type Report = Json<paths["/api/v1/reconciliations/{id}"]["get"]>;
export type Item = Report["items"][number];
export type Reconciled = Json<paths["/api/v1/reconciliations"]["post"], 201>;

/**
 * Reconcile a channel's day: with a file, that bill; without, the bill fetched from the channel. A
 * report is not announced on the live stream (nothing about a case changed), so the reports the
 * screen shows are refreshed here, once the server has stored the new one.
 */
export function useReconcile(onDone: (r: Reconciled) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ channel, date, file }: { channel: string; date: string; file?: File }) =>
      call(
        api.POST("/api/v1/reconciliations", {
          params: { query: { channel: channel as "alipay", date } },
          ...(file
            ? {
                body: file as never,
                bodySerializer: (b: unknown) => b as BodyInit,
                headers: { "content-type": file.type || "application/octet-stream" },
              }
            : {}),
        }),
      ) as Promise<Reconciled>,
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: keys.reconciliations() });
      void client.invalidateQueries({ queryKey: keys.reconciliation(r.id) });
      onDone(r);
    },
  });
}
