import { readAnswer } from "./decompress.ts";
import { ChannelUnavailableError } from "./payments/channel.ts";

/**
 * One HTTP round trip to a channel, bounded by `timeoutMs`. Any answer comes back as it is (status,
 * text, headers) for the adapter to judge; no answer — a timeout, a refused connection — is a
 * ChannelUnavailableError, because whether the channel acted is unknown.
 */
export async function channelFetch(
  channel: string,
  what: string,
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<{ status: number; text: string; headers: Headers }> {
  const { timeoutMs, ...rest } = init;
  try {
    const res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await readAnswer(res), headers: res.headers };
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new ChannelUnavailableError(
      channel,
      timedOut ? "timeout" : "network",
      `${what}: ${timedOut ? `no answer within ${timeoutMs} ms` : (e as Error).message}; outcome unknown`,
      { cause: e },
    );
  }
}
