/**
 * Fault injection for the crash-recovery tests: when AFTERSALES_CRASH_POINT names this point the
 * process dies on the spot, as a power cut or an OOM kill would, with no cleanup.
 */
export function crashPoint(name: string) {
  if (process.env.AFTERSALES_CRASH_POINT === name) process.kill(process.pid, "SIGKILL");
}
