import { scanQuality } from "../flows/alerts.ts";
import type { Config } from "./config.ts";
import { localOrService } from "./local-service.ts";
import { usageError } from "./messages.ts";
import { openRuntime } from "./service.ts";

/** `aftersales alerts scan`: look for SKUs and categories whose refund rate jumped (质量预警) once. */
export async function runAlerts(config: Config, args: string[]): Promise<void> {
  const [sub, ...extra] = args;
  if (sub !== "scan" || extra.length > 0) {
    throw usageError(
      `Usage: aftersales alerts scan   (raise quality alerts for SKUs and categories whose refund rate jumped)${sub === undefined ? "" : `; got "${args.join(" ")}"`}`,
      "alerts_usage",
    );
  }
  const opened = await localOrService(config, () =>
    openRuntime({ ...config, paySandboxUrl: config.paySandboxUrl ?? "http://127.0.0.1:9" }),
  );
  if (opened.service) {
    // The running service scans; its alerts are listed by GET /api/v1/alerts (and the console).
    const r = await opened.service.request<{ subjects: number; alerts: number }>(
      "POST",
      "/api/v1/alerts/quality-scan",
    );
    console.log(
      `SKUs and categories with recent claims: ${r.subjects}; ${r.alerts === 0 ? "no alerts" : `${r.alerts} alert${r.alerts === 1 ? "" : "s"} raised or updated (GET /api/v1/alerts lists them)`}.`,
    );
    return;
  }
  const rt = opened.local;
  try {
    const result = await scanQuality(rt.ctx);
    const n = result.alerts;
    console.log(
      `SKUs and categories with recent claims: ${result.subjects}; ${n === 0 ? "no alerts" : `${n} alert${n === 1 ? "" : "s"} raised or updated`}.`,
    );
    for (const a of result.raised) {
      console.log(`  ${a.severity.padEnd(8)}  ${a.kind} ${a.key} in ${a.shop}  (suspected ${a.suspected})`);
      console.log(`            ${a.reason.en}`);
    }
  } finally {
    await rt.close();
  }
}
