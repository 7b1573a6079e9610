/**
 * Durable appends: the audit log engine over the file store and over PostgreSQL, with group
 * commit as it ships (a batch of whatever waits, up to 1,000 entries, per write) against one
 * fsync or one transaction per entry (`maxBatch: 1`), at the same number of appenders in flight.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  createAuditLog,
  openFileAuditStore,
  openPostgresAuditStore,
  setupAuditDatabase,
} from 'gatehouse/audit';

import { watchMachine } from '../auth/machine-load.mjs';

import { int, median, ms, percent, percentile, spread, throwawayDatabase, x } from './support.mjs';

/**
 * The variants; `inFlight: 'wide'` takes the run's `--in-flight`. The `-one` variants have a
 * single appender awaiting each append, the lowest latency a durable append can have.
 */
export const VARIANTS = [
  { name: 'file-group', store: 'file', inFlight: 'wide', label: 'file, group commit' },
  {
    name: 'file-single',
    store: 'file',
    inFlight: 'wide',
    maxBatch: 1,
    label: 'file, one fsync per entry',
  },
  { name: 'pg-group', store: 'postgres', inFlight: 'wide', label: 'PostgreSQL, group commit' },
  {
    name: 'pg-single',
    store: 'postgres',
    inFlight: 'wide',
    maxBatch: 1,
    label: 'PostgreSQL, one transaction per entry',
  },
  { name: 'file-one', store: 'file', inFlight: 1, label: 'file, 1 appender' },
  { name: 'pg-one', store: 'postgres', inFlight: 1, label: 'PostgreSQL, 1 appender' },
];

/** The ratios reported: group commit over one fsync (or transaction) per entry first. */
export const COMPARISONS = [
  { subject: 'file-group', versus: 'file-single' },
  { subject: 'pg-group', versus: 'pg-single' },
  { subject: 'file-group', versus: 'pg-group' },
  { subject: 'file-single', versus: 'file-one' },
  { subject: 'pg-single', versus: 'pg-one' },
];

/**
 * Opens one variant's log on a store of its own: a directory under `dir`, or a throwaway
 * database (owner role, schema from `setupAuditDatabase`). The store is wrapped to count its
 * writes; the scheduled checkpoint is off so that no signing falls inside a timed run.
 */
export async function openVariant(variant, { dir, signer, origin }) {
  let store;
  let database;
  if (variant.store === 'file') {
    store = await openFileAuditStore(join(dir, variant.name));
  } else {
    database = await throwawayDatabase((owner) => setupAuditDatabase(owner));
    store = await openPostgresAuditStore(database.url);
  }

  const counts = { writes: 0, entries: 0 };
  const counted = {
    ...store,
    write(batch) {
      counts.writes += 1;
      counts.entries += batch.length;
      return store.write(batch);
    },
  };
  const log = createAuditLog({
    store: counted,
    signer,
    origin,
    checkpointIntervalMs: 0,
    ...(variant.maxBatch === undefined ? {} : { maxBatch: variant.maxBatch }),
  });
  return {
    log,
    counts,
    syncs: () => store.stats?.().syncs,
    database: database?.name,
    async close() {
      try {
        await log.close();
      } finally {
        await database?.drop();
      }
    },
  };
}

/**
 * Appends for `seconds` with `inFlight` appenders, each awaiting `append(entry, { durable:
 * true })` before its next; entries are taken from `pool` in turn. Every append's latency is
 * kept; throughput counts the appends that resolved, over the time until the last one did.
 */
export async function timeAppends(opened, { pool, seconds, inFlight, cursor }) {
  const { log, counts } = opened;
  const latencies = [];
  let errors = 0;
  let firstError;
  const writesBefore = { ...counts };
  const syncsBefore = opened.syncs();
  const cpuBefore = process.cpuUsage();
  const machine = watchMachine();
  const started = performance.now();
  const end = started + seconds * 1000;

  async function appender() {
    while (performance.now() < end) {
      const entry = pool[cursor.next++ % pool.length];
      const t0 = performance.now();
      try {
        const receipt = await log.append(entry, { durable: true });
        if (receipt.status !== 'stored') throw new Error(`receipt ${receipt.status}`);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, appender));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const busyCores = machine();

  latencies.sort((a, b) => a - b);
  const done = latencies.length;
  const writes = counts.writes - writesBefore.writes;
  const syncs = syncsBefore === undefined ? undefined : opened.syncs() - syncsBefore;
  return {
    appendsPerSecond: done / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    entriesPerWrite: (counts.entries - writesBefore.entries) / writes,
    ...(syncs === undefined ? {} : { entriesPerSync: done / syncs }),
    nodeCpuMicrosPerAppend: (cpu.user + cpu.system) / done,
    busyCores,
    appends: done,
    seconds: elapsed,
    errors,
    firstError,
    ok: done > 0 && errors === 0,
  };
}

const METRICS = [
  'appendsPerSecond',
  'p50',
  'p99',
  'entriesPerWrite',
  'entriesPerSync',
  'nodeCpuMicrosPerAppend',
  'busyCores',
];

/** The median of each metric over the rounds, per variant, and the spread of throughput. */
export function summarizeAppends(runs) {
  const names = [...new Set(runs.map((run) => run.variant))];
  return names.map((variant) => {
    const group = runs.filter((run) => run.variant === variant);
    const summary = { variant, inFlight: group[0].inFlight, rounds: group.length };
    for (const metric of METRICS) {
      const values = group.map((run) => run[metric]).filter((value) => value !== undefined);
      if (values.length > 0) summary[metric] = median(values);
    }
    summary.spread = spread(group.map((run) => run.appendsPerSecond));
    return summary;
  });
}

/** Each comparison: the ratio of the medians, and its range over single rounds. */
export function appendRatios(summaries, runs) {
  const find = (variant) => summaries.find((s) => s.variant === variant);
  const out = [];
  for (const { subject, versus } of COMPARISONS) {
    const a = find(subject);
    const b = find(versus);
    if (!a || !b) continue;
    const perRound = [...new Set(runs.map((run) => run.round))].flatMap((round) => {
      const p = runs.find((run) => run.round === round && run.variant === subject);
      const q = runs.find((run) => run.round === round && run.variant === versus);
      return p && q ? [p.appendsPerSecond / q.appendsPerSecond] : [];
    });
    out.push({
      subject,
      versus,
      appendsPerSecond: a.appendsPerSecond / b.appendsPerSecond,
      p50: a.p50 / b.p50,
      p99: a.p99 / b.p99,
      perRoundMin: Math.min(...perRound),
      perRoundMax: Math.max(...perRound),
    });
  }
  return out;
}

export function formatAppends(summaries, ratioRows) {
  const label = (name) => VARIANTS.find((variant) => variant.name === name)?.label ?? name;
  const lines = [];
  lines.push(
    '| variant | in flight | appends/s | p50 ms | p99 ms | entries/write | entries/fsync | ' +
      'Node CPU µs/append | cores busy | spread |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    lines.push(
      `| ${label(s.variant)} | ${s.inFlight} | ${int(s.appendsPerSecond)} | ${ms(s.p50)} | ` +
        `${ms(s.p99)} | ${s.entriesPerWrite.toFixed(1)} | ` +
        `${s.entriesPerSync === undefined ? '' : s.entriesPerSync.toFixed(1)} | ` +
        `${Math.round(s.nodeCpuMicrosPerAppend)} | ${s.busyCores.toFixed(2)} | ${percent(s.spread)} |`,
    );
  }
  lines.push('');
  lines.push('| variant | ÷ | appends/s | per round | p50 | p99 |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of ratioRows) {
    lines.push(
      `| ${label(r.subject)} | ${label(r.versus)} | ${x(r.appendsPerSecond)} | ` +
        `${r.perRoundMin.toFixed(1)}–${r.perRoundMax.toFixed(1)} | ${ratio(r.p50)} | ` +
        `${ratio(r.p99)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Latency ratios can be far below 1, where one decimal would say 0.0×. */
function ratio(value) {
  return value < 0.1 ? `${value.toFixed(3)}×` : value < 1 ? `${value.toFixed(2)}×` : x(value);
}
