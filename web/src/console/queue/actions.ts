import { useMutation } from "@tanstack/react-query";
import { App } from "antd";
import type { TFunction } from "i18next";
import { api, call } from "../../shared/api.ts";
import type { QueueItem } from "./data.ts";

/**
 * Claiming (o) straight from the list: no form to fill, so no dialog. It names the version the list
 * showed, so a case someone changed meanwhile is refused with who changed it. Nothing is refreshed by
 * hand: the server's change event refreshes the list, the views and the case.
 */
export function useClaim(t: TFunction) {
  const { message } = App.useApp();
  const claim = useMutation({
    mutationFn: (item: QueueItem) =>
      call(
        api.POST("/api/v1/cases/{id}/claim", {
          params: { path: { id: item.id } },
          body: { expectedVersion: item.version },
        }),
      ),
    onSuccess: (_r, item) => void message.success(t("claimed", { id: item.id })),
    onError: (e: Error) => void message.error(e.message),
  });
  return (item: QueueItem) => claim.mutate(item);
}
