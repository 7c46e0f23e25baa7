/**
 * Run `job` now and then every `everyMs` until stopped; a failure is logged and retried next time.
 * Jobs must be idempotent (several workers may run the same one): what they write is keyed.
 */
export function startPeriodic(name: string, everyMs: number, job: () => Promise<unknown>) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      await job();
    } catch (e) {
      console.error(`${name}:`, e instanceof Error ? e.message : e);
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), everyMs);
  };
  running = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
