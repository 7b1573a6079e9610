/**
 * One timed load run with autocannon, plus the numbers autocannon does not give: latency
 * percentiles below a millisecond, the server's CPU time per request, and the load generator's
 * own CPU share (near 100 % it, not the server, is the limit).
 */
import { performance } from 'node:perf_hooks';

import autocannon from 'autocannon';

/** Runs autocannon to completion; `onResponse` sees every response. */
function cannon(options, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    if (onResponse) instance.on('response', onResponse);
  });
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Warms the server up, then times one autocannon run of `target` (its request options: `url`
 * and either one request's `method`, `headers`, `body`, or a `requests` list to rotate).
 * `serverCpu()` resolves to the server process's `process.cpuUsage()`; `watch`, when given,
 * starts watching the machine and returns a function that tells how many cores were busy. Returns
 * the measurements and whether every response had `expectedStatus` with no errors or timeouts.
 */
export async function measureLoad({
  target,
  expectedStatus,
  connections,
  duration,
  warmup,
  serverCpu,
  watch,
}) {
  const options = { ...target, connections, pipelining: 1, timeout: 10 };
  if (warmup > 0) await cannon({ ...options, duration: warmup });

  const latencies = [];
  const cpuBefore = await serverCpu();
  const ownBefore = process.cpuUsage();
  const busy = watch?.();
  const started = performance.now();
  const result = await cannon({ ...options, duration }, (_client, _status, _bytes, ms) => {
    latencies.push(ms);
  });
  const elapsed = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const busyCores = busy?.();
  const cpuAfter = await serverCpu();

  latencies.sort((a, b) => a - b);
  const responses = latencies.length;
  const serverMicros = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const ownMicros = own.user + own.system;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const unexpected = responses - (statuses[expectedStatus] ?? 0);

  return {
    requestsPerSecond: responses / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    serverCpuMicrosPerRequest: responses > 0 ? serverMicros / responses : NaN,
    serverCpuShare: serverMicros / 1e6 / elapsed,
    loadGeneratorCpuShare: ownMicros / 1e6 / elapsed,
    // Cores kept busy by everything but the server and the load generator meanwhile.
    ...(busyCores === undefined
      ? {}
      : { otherCores: busyCores - (serverMicros + ownMicros) / 1e6 / elapsed }),
    responses,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets ?? 0,
    ok: responses > 0 && unexpected === 0 && result.errors === 0 && result.timeouts === 0,
  };
}

/** Times one run of a request kind of the scenario (see `measureLoad`). */
export function measure({ origin, kind, ...run }) {
  const { method, headers, body } = kind;
  const target = { url: new URL(kind.path, origin).href, method, headers, body };
  return measureLoad({ target, expectedStatus: kind.status, ...run });
}
