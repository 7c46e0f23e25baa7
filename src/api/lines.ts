import { PassThrough } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../domain/errors.ts";
import { describeError } from "../domain/messages/index.ts";
import { langOf, statusOf } from "./problems.ts";

export const NDJSON = "application/x-ndjson";

/** What a long-running answer is given: stop when the asker went away, report how far it got. */
export interface LongRun {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * A slow answer (a backtest, rule suggestions) as plain JSON, or — asked with `Accept:
 * application/x-ndjson` — as one JSON line per step, {"progress":{"done","total"}}, then {"result":…}
 * or {"error":{code,status,detail}}, so a screen can draw a progress bar. Closing the connection stops
 * the work. `check` runs first so that bad input is refused as a problem before anything streams.
 */
export async function answerInLines(
  req: FastifyRequest,
  reply: FastifyReply,
  run: (opts: LongRun) => Promise<unknown>,
  check?: () => void,
) {
  if (!req.headers.accept?.includes(NDJSON)) return run({});
  check?.();
  const stream = new PassThrough();
  const stop = new AbortController();
  stream.once("close", () => stop.abort());
  const line = (v: unknown) => {
    if (stream.writable) stream.write(`${JSON.stringify(v)}\n`);
  };
  void run({ signal: stop.signal, onProgress: (done, total) => line({ progress: { done, total } }) }).then(
    (result) => {
      line({ result });
      stream.end();
    },
    (e: Error) => {
      if (!stop.signal.aborted) {
        const code = e instanceof AppError ? e.code : "INTERNAL";
        if (!(e instanceof AppError)) req.log.error(e);
        const detail =
          e instanceof AppError
            ? describeError(e, langOf(req))
            : "Something went wrong on our side; try again";
        line({ error: { code, status: statusOf(code), detail } });
      }
      stream.end();
    },
  );
  return reply
    .type(`${NDJSON}; charset=utf-8`)
    .header("cache-control", "no-cache, no-transform")
    .send(stream);
}
