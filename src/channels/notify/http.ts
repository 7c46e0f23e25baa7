import { NotifyUnavailableError } from "./channel.ts";

/**
 * One HTTP round trip to a notify provider that answers JSON. No answer (timeout, refused connection),
 * a 5xx or a body that is not JSON throws NotifyUnavailableError: whether the provider acted is
 * unknown, and the outbox retries. Any other answer comes back parsed for the adapter to judge.
 */
export async function fetchJson(
  what: string,
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<Record<string, unknown>> {
  const { timeoutMs, ...rest } = init;
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new NotifyUnavailableError(
      `${what}: ${timedOut ? `no answer within ${timeoutMs} ms` : (e as Error).message}`,
      { cause: e },
    );
  }
  if (status >= 500) throw new NotifyUnavailableError(`${what}: HTTP ${status} ${text.slice(0, 200)}`);
  try {
    const body: unknown = JSON.parse(text, keepBigIntegers);
    if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      return body as Record<string, unknown>;
    }
  } catch {}
  throw new NotifyUnavailableError(`${what}: unreadable answer (HTTP ${status}) ${text.slice(0, 200)}`);
}

/** Integers beyond 2^53 (WeChat's msgid is a 64-bit id) are kept as their digits instead of rounded. */
function keepBigIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)
    ? (context?.source ?? value)
    : value;
}
