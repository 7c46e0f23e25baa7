import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call } from "../../shared/api.ts";
import type { paths } from "../../shared/api-types.ts";
import { keys } from "../../shared/keys.ts";

type Json<T, S extends number = 200> = T extends {
  responses: { [K in S]: { content: { "application/json": infer J } } };
}
  ? J
  : never;
export type Preview = Json<paths["/api/v1/imports/preview"]["post"]>;
export type ImportPage = Json<paths["/api/v1/imports"]["get"]>;
export type Job = ImportPage["items"][number];
export type Started = Json<paths["/api/v1/imports"]["post"], 202>;

export const PAGE_SIZES = [10, 20, 50] as const;
/** Enough of a CSV to read its header and first rows; an XLSX is a zip and is read whole. */
const CSV_PREVIEW_BYTES = 256 * 1024;
/** How often a running import is asked how far it got. */
const FOLLOW_MS = 500;

const isXlsx = (file: File) => file.name.toLowerCase().endsWith(".xlsx");

/** A file as the body of a request: its bytes, typed by its name (browsers disagree on a CSV's type). */
const fileBody = (body: Blob) => ({
  body: body as never,
  bodySerializer: (b: unknown) => b as BodyInit,
  headers: { "content-type": "application/octet-stream" },
});

/** The file's header, first rows and the preset it matches, from its beginning (CSV) or whole (XLSX). */
export function usePreview() {
  return useMutation({
    mutationFn: (file: File) =>
      call(
        api.POST("/api/v1/imports/preview", {
          params: { query: { name: file.name } },
          ...fileBody(isXlsx(file) ? file : file.slice(0, CSV_PREVIEW_BYTES)),
        }),
      ),
  });
}

export interface StartInput {
  file: File;
  shop: string;
  preset: string;
  mapping: { columns: Record<string, string>; currency?: string };
}

/** Upload the file and start its import; the answer is the job to follow (or the one already done). */
export function useStartImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ file, shop, preset, mapping }: StartInput) =>
      call(
        api.POST("/api/v1/imports", {
          params: { query: { shop, preset, mapping: JSON.stringify(mapping), name: file.name } },
          ...fileBody(file),
        }),
      ) as Promise<Started>,
    onSuccess: (job) => {
      // The job as it started is shown at once; following it asks again from there.
      client.setQueryData(keys.importJob(job.id), job);
      void client.invalidateQueries({ queryKey: keys.imports() });
    },
  });
}

/** One import, asked again every half second while it runs. */
export const useImportJob = (id: number | undefined) =>
  useQuery({
    queryKey: keys.importJob(id ?? 0),
    enabled: id !== undefined,
    queryFn: () => call(api.GET("/api/v1/imports/{id}", { params: { path: { id: id ?? 0 } } })),
    refetchInterval: (q) => (q.state.data?.state === "running" ? FOLLOW_MS : false),
  });

export function useStopImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      call(api.POST("/api/v1/imports/{id}/stop", { params: { path: { id } }, body: {} })),
    onSettled: (_r, _e, id) => {
      void client.invalidateQueries({ queryKey: keys.importJob(id) });
      void client.invalidateQueries({ queryKey: keys.imports() });
    },
  });
}

/** Past imports, newest first, a page at a time; refreshed while one of them runs. */
export const useImports = (page: number, size: number) =>
  useQuery({
    queryKey: keys.imports({ page, size }),
    queryFn: () =>
      call(api.GET("/api/v1/imports", { params: { query: { offset: (page - 1) * size, limit: size } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((j) => j.state === "running") ? 2000 : false),
  });

export const useShops = () =>
  useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
