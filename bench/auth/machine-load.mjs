/**
 * How busy the whole machine was during a run (Linux `/proc/stat`), so that a run slowed by
 * other work on the machine can be told from a slow verifier. Elsewhere, or when it cannot be
 * read, the figure is NaN.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Busy CPU seconds of all cores together, since boot, and when they were read. */
function snapshot() {
  let busy = NaN;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    busy = (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
  } catch {
    // not Linux: no machine-wide figure
  }
  return { busy, at: performance.now() };
}

/** Starts watching; `stop()` returns the cores busy on average since (0 to the core count). */
export function watchMachine() {
  const start = snapshot();
  return () => {
    const end = snapshot();
    return (end.busy - start.busy) / ((end.at - start.at) / 1000);
  };
}
