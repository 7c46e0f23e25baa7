import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { ApiError, api, call, postLines } from "../../shared/api.ts";
import { keys } from "../../shared/keys.ts";
import type { BacktestResult, Issue, RuleSet, SuggestionReport } from "./model.ts";

/** The rules vocabulary: changes only with a release (the case view shares it). */
export const useVocabulary = () =>
  useQuery({
    queryKey: keys.vocabulary(),
    queryFn: () => call(api.GET("/api/v1/rules/vocabulary")),
    staleTime: Number.POSITIVE_INFINITY,
  });

export const useRuleVersions = () =>
  useQuery({ queryKey: keys.rules(), queryFn: () => call(api.GET("/api/v1/rules")) });

/** The problems a refused draft came back with, each at its path (empty for other failures). */
export const issuesOf = (e: unknown): Issue[] =>
  e instanceof ApiError && Array.isArray(e.details.errors) ? (e.details.errors as Issue[]) : [];

/**
 * Writing versions. Rule versions are not cases: no live event names them, so the list refreshes
 * itself after each change here (another supervisor's screen refreshes when it is opened again).
 */
export function useRuleWrites() {
  const client = useQueryClient();
  const refresh = () => void client.invalidateQueries({ queryKey: keys.rules() });
  const create = useMutation({
    mutationFn: (b: { definition: RuleSet; note?: string }) =>
      call(api.POST("/api/v1/rules/versions", { body: b })),
    onSuccess: refresh,
  });
  const save = useMutation({
    mutationFn: ({ version, ...body }: { version: number; definition: RuleSet; note?: string }) =>
      call(api.PUT("/api/v1/rules/versions/{version}", { params: { path: { version } }, body })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (version: number) =>
      call(api.DELETE("/api/v1/rules/versions/{version}", { params: { path: { version } }, body: {} })),
    onSuccess: refresh,
  });
  const request = useMutation({
    mutationFn: (version: number) =>
      call(
        api.POST("/api/v1/rules/versions/{version}/request-activation", {
          params: { path: { version } },
          body: {},
        }),
      ),
    onSuccess: refresh,
  });
  const activate = useMutation({
    mutationFn: (version: number) =>
      call(
        api.POST("/api/v1/rules/versions/{version}/activate", { params: { path: { version } }, body: {} }),
      ),
    onSuccess: refresh,
  });
  return { create, save, remove, request, activate };
}

/** Where a streamed answer stands: not asked, reading history (how far), answered, or refused. */
export type StreamedState<T> =
  | { state: "idle" }
  | { state: "running"; done: number; total: number | null; startedAt: number }
  | { state: "done"; result: T; seconds: number }
  | { state: "failed"; error: Error; issues: Issue[] };
export type BacktestState = StreamedState<BacktestResult>;

interface Line<T> {
  progress?: { done: number; total: number };
  result?: T;
  error?: { code: string; status: number; detail: string };
}

/**
 * A slow answer (a backtest, rule suggestions), following its progress as the server streams it. Asking
 * again replaces the last; leaving the screen (or stop) ends it on the server too.
 */
function useStreamed<T>(path: string) {
  const [state, setState] = useState<StreamedState<T>>({ state: "idle" });
  const running = useRef<AbortController | null>(null);
  const stop = useCallback(() => {
    running.current?.abort();
    running.current = null;
  }, []);
  const start = useCallback(
    async (body: unknown) => {
      stop();
      const controller = new AbortController();
      running.current = controller;
      const startedAt = performance.now();
      setState({ state: "running", done: 0, total: null, startedAt });
      try {
        await postLines(
          path,
          body,
          (value) => {
            const line = value as Line<T>;
            if (line.progress)
              setState({ state: "running", done: line.progress.done, total: line.progress.total, startedAt });
            else if (line.result)
              setState({
                state: "done",
                result: line.result,
                seconds: (performance.now() - startedAt) / 1000,
              });
            else if (line.error)
              setState({
                state: "failed",
                error: new ApiError(line.error.status, line.error.code, line.error.detail),
                issues: [],
              });
          },
          controller.signal,
        );
      } catch (e) {
        if (controller.signal.aborted) setState({ state: "idle" });
        else setState({ state: "failed", error: e as Error, issues: issuesOf(e) });
      } finally {
        if (running.current === controller) running.current = null;
      }
    },
    [stop, path],
  );
  const reset = useCallback(() => {
    stop();
    setState({ state: "idle" });
  }, [stop]);
  return { state, start, stop, reset };
}

/** A backtest of a draft beside the live rules. */
export function useBacktest() {
  const { start, ...rest } = useStreamed<BacktestResult>("/api/v1/rules/backtests");
  return {
    ...rest,
    start: useCallback((definition: RuleSet) => start({ definition, againstLive: true }), [start]),
  };
}

/** Rules learned from history (规则建议), with how far the reading of history has got. */
export function useSuggestions() {
  const { start, ...rest } = useStreamed<SuggestionReport>("/api/v1/rules/suggestions");
  return {
    ...rest,
    start: useCallback((body: { from?: string; minAgreement: number }) => start(body), [start]),
  };
}

/** Never propose this suggestion again. */
export function useDismissSuggestion() {
  return useMutation({
    mutationFn: (fingerprint: string) =>
      call(api.POST("/api/v1/rules/suggestions/dismissed", { body: { fingerprint } })),
  });
}
