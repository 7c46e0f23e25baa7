import { randomBytes } from "node:crypto";
import {
  createInterceptionSimulator,
  type InterceptionSimulator,
  type SimInterceptionRequest,
} from "./interception/simulator.ts";
import { kuaidi100Tracking } from "./kuaidi100/adapter.ts";
import { kuaidi100Carrier } from "./kuaidi100/protocol.ts";
import { type Kuaidi100Simulator, startKuaidi100Simulator } from "./kuaidi100/simulator.ts";
import type { LogisticsChannels } from "./logistics.ts";

/**
 * The logistics side of the outside world, simulated in-process for `aftersales start` and the demo:
 * a loopback Kuaidi100 that pushes to our callback route, and a carrier interception desk whose
 * verdicts come after `decideAfterMs`. An intercepted parcel is sent back (退回, 退签) by the
 * simulated Kuaidi100 `returnAfterMs` later, so the whole 拦截 → 退回 → 退款 path runs by itself.
 */

export interface LogisticsSandboxOptions {
  /** How long the simulated carrier takes to decide (default 2 minutes). */
  decideAfterMs?: number;
  /** The simulated carrier's verdict (default intercepted). */
  outcome?: "intercepted" | "failed" | "too_late";
  /** How long an intercepted parcel takes to be back with the sender (default 1 minute). */
  returnAfterMs?: number;
}

export interface LogisticsSandbox {
  channels: LogisticsChannels;
  kuaidi100: Kuaidi100Simulator;
  carrier: InterceptionSimulator;
  /** Where pushes go — our API's base URL, known once it listens. Until then nothing is subscribed. */
  setCallbackBase(url: string): void;
  close(): Promise<void>;
}

export async function startLogisticsSandbox(opts: LogisticsSandboxOptions = {}): Promise<LogisticsSandbox> {
  const key = randomBytes(8).toString("hex");
  const customer = randomBytes(8).toString("hex").toUpperCase();
  const kuaidi100 = await startKuaidi100Simulator({ key, customer });
  const timers = new Set<NodeJS.Timeout>();
  let callbackBase = "";
  const sendBack = (r: SimInterceptionRequest) => {
    if (r.status !== "intercepted") return;
    const t = setTimeout(() => {
      timers.delete(t);
      kuaidi100.returnToSender(kuaidi100Carrier(r.carrier), r.trackingNo).catch(() => undefined);
    }, opts.returnAfterMs ?? 60_000);
    timers.add(t);
  };
  const carrier = createInterceptionSimulator({
    decideAfterMs: opts.decideAfterMs ?? 120_000,
    outcome: opts.outcome ?? "intercepted",
    onSettled: sendBack,
  });
  const tracking = kuaidi100Tracking({
    baseUrl: kuaidi100.url,
    key,
    customer,
    salt: randomBytes(16).toString("hex"),
    callbackUrl: () => `${callbackBase}/api/v1/callbacks/logistics/kuaidi100`,
  });
  return {
    channels: { tracking, interceptor: carrier.interceptor },
    kuaidi100,
    carrier,
    setCallbackBase(url) {
      callbackBase = url.replace(/\/+$/, "");
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await kuaidi100.close();
    },
  };
}
