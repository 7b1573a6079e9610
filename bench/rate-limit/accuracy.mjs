/**
 * Part 2 of the rate-limit benchmark: how many requests each algorithm admits against a limit of
 * L = 100 per 60 s, for traffic patterns from steady to adversarial, and the most it ever admits
 * within one 60 s interval. Deterministic: the memory store with an injected clock, no Redis (the
 * Redis store decides with the same arithmetic, in its Lua script).
 *
 *   node bench/rate-limit/accuracy.mjs
 */
import { fileURLToPath } from 'node:url';

import { createMemoryRateLimitStore } from 'gatehouse/rate-limit';

export const LIMIT = 100;
export const WINDOW_MS = 60_000;
/** A window boundary: windows are aligned to multiples of 60 s since the epoch. */
const T0 = 1_700_000_040_000;
const MINUTES = 10;

/** `count` requests evenly spread over `[start, start + spanMs)`, whole milliseconds. */
function spread(start, count, spanMs) {
  return Array.from({ length: count }, (_, i) => start + Math.floor((i * spanMs) / count));
}

/** The traffic patterns, each a list of request times (milliseconds since the epoch), sorted. */
export const SCENARIOS = [
  {
    name: 'steady',
    label: 'steady: 3 req/s for 10 min',
    times: () => spread(T0, 3 * 60 * MINUTES, 60_000 * MINUTES),
  },
  {
    name: 'bursty',
    label: 'bursty: 150 in 1 s, every 90 s',
    // Bursts start 15 s into a window, so they alternate between 15 s and 45 s into one.
    times: () =>
      Array.from({ length: Math.floor((60 * MINUTES) / 90) + 1 }, (_, k) =>
        spread(T0 + 15_000 + k * 90_000, 150, 1000),
      ).flat(),
  },
  {
    name: 'boundary',
    label: 'boundary: L in the 0.5 s before a boundary, L in the 0.5 s after; every 3 min',
    times: () => cycles((b) => [...spread(b - 500, LIMIT, 500), ...spread(b, LIMIT, 500)]).flat(),
  },
  {
    name: 'boundary-late',
    label: 'boundary, late: L in the 0.5 s before a boundary, L again 58 s later; every 3 min',
    times: () =>
      cycles((b) => [...spread(b - 500, LIMIT, 500), ...spread(b + 57_500, LIMIT, 500)]).flat(),
  },
];

/** One attack per 3 minutes, at the boundaries 1, 4, 7 minutes after T0 (within 10 minutes). */
function cycles(attack) {
  const out = [];
  for (let b = T0 + WINDOW_MS; b + WINDOW_MS <= T0 + 60_000 * MINUTES; b += 3 * WINDOW_MS) {
    out.push(attack(b));
  }
  return out;
}

export const ALGORITHMS = [
  { name: 'sliding-window', label: 'sliding-window counter' },
  { name: 'sliding-log', label: 'sliding log (exact)' },
];

/**
 * The most admitted times within any interval `(t - window, t]`, the interval a sliding log
 * counts: for each admitted request, those admitted in the window ending at it. `times` sorted.
 */
export function maxInWindow(times, windowMs) {
  let most = 0;
  let first = 0;
  for (let i = 0; i < times.length; i += 1) {
    while (times[first] <= times[i] - windowMs) first += 1;
    most = Math.max(most, i - first + 1);
  }
  return most;
}

/** Sends the scenario's requests, one client key, one policy, through a fresh memory store. */
export async function simulate(scenario, algorithm) {
  let now = 0;
  const store = createMemoryRateLimitStore({ clock: () => now });
  const times = scenario.times();
  const admitted = [];
  for (const time of times) {
    now = time;
    const decision = await store.check([
      {
        policy: 'ip',
        key: 'ip4:198.51.100.7',
        limit: LIMIT,
        windowSeconds: WINDOW_MS / 1000,
        cost: 1,
        algorithm,
      },
    ]);
    if (decision.allowed) admitted.push(time);
  }
  return {
    scenario: scenario.name,
    algorithm,
    requests: times.length,
    admitted: admitted.length,
    maxIn60s: maxInWindow(admitted, WINDOW_MS),
  };
}

export async function runAccuracy() {
  const rows = [];
  for (const scenario of SCENARIOS) {
    for (const { name } of ALGORITHMS) rows.push(await simulate(scenario, name));
  }
  return rows;
}

export function formatAccuracy(rows) {
  const scenarioLabel = (name) => SCENARIOS.find((s) => s.name === name).label;
  const algorithmLabel = (name) => ALGORITHMS.find((a) => a.name === name).label;
  const lines = [];
  lines.push(
    `| traffic (L = ${LIMIT} per ${WINDOW_MS / 1000} s) | requests | algorithm | admitted | ` +
      '÷ exact | most in any 60 s | ÷ L |',
  );
  lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const exact = rows.find((r) => r.scenario === row.scenario && r.algorithm === 'sliding-log');
    lines.push(
      `| ${scenarioLabel(row.scenario)} | ${row.requests} | ${algorithmLabel(row.algorithm)} | ` +
        `${row.admitted} | ${(row.admitted / exact.admitted).toFixed(2)}× | ${row.maxIn60s} | ` +
        `${(row.maxIn60s / LIMIT).toFixed(2)}× |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatAccuracy(await runAccuracy()));
}
