/**
 * Turns the runs of one benchmark into medians, ratios, a Markdown table for the console (and
 * docs/benchmarks.md), and a JSON file under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

import { median } from './measure.mjs';

const METRICS = ['requestsPerSecond', 'p50', 'p99', 'serverCpuMicrosPerRequest'];

/** Median of each metric over the rounds, per concurrency, request kind and server. */
export function summarize(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.connections}|${run.kind}|${run.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  return [...groups.values()].map((group) => {
    const { connections, kind, server } = group[0];
    const summary = { connections, kind, server, rounds: group.length };
    for (const metric of METRICS) summary[metric] = median(group.map((run) => run[metric]));
    summary.loadGeneratorCpuShare = median(group.map((run) => run.loadGeneratorCpuShare));
    summary.spread = spread(group.map((run) => run.requestsPerSecond));
    return summary;
  });
}

/** (max - min) / median of the rounds' throughput: how much the rounds disagreed. */
function spread(values) {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** Gatehouse's medians divided by each anchor's, per concurrency and request kind. */
export function ratios(summaries) {
  const find = (c, kind, server) =>
    summaries.find((s) => s.connections === c && s.kind === kind && s.server === server);
  const out = [];
  for (const subject of summaries.filter((s) => s.server === 'gatehouse')) {
    for (const anchor of ['bare', 'express']) {
      const base = find(subject.connections, subject.kind, anchor);
      if (!base) continue;
      const ratio = { connections: subject.connections, kind: subject.kind, versus: anchor };
      for (const metric of METRICS) ratio[metric] = subject[metric] / base[metric];
      out.push(ratio);
    }
  }
  return out;
}

const ms = (value) => (value < 1 ? value.toFixed(3) : value.toFixed(2));
const x = (value) => `${value.toFixed(2)}×`;

/** Markdown tables: absolute medians, then ratios, for each concurrency. */
export function formatTables(summaries, ratioRows, kinds) {
  const label = (name) => kinds.find((kind) => kind.name === name)?.label ?? name;
  const lines = [];
  for (const c of [...new Set(summaries.map((s) => s.connections))]) {
    lines.push(`### ${c} connection${c === 1 ? '' : 's'}`, '');
    lines.push('| request | server | req/s | p50 ms | p99 ms | server CPU µs/req | spread |');
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const s of summaries.filter((row) => row.connections === c)) {
      lines.push(
        `| ${label(s.kind)} | ${s.server} | ${Math.round(s.requestsPerSecond)} | ${ms(s.p50)} | ` +
          `${ms(s.p99)} | ${Math.round(s.serverCpuMicrosPerRequest)} | ${(s.spread * 100).toFixed(0)} % |`,
      );
    }
    lines.push('');
    lines.push('| request | gatehouse ÷ | req/s | p50 | p99 | server CPU/req |');
    lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const r of ratioRows.filter((row) => row.connections === c)) {
      lines.push(
        `| ${label(r.kind)} | ${r.versus} | ${x(r.requestsPerSecond)} | ${x(r.p50)} | ` +
          `${x(r.p99)} | ${x(r.serverCpuMicrosPerRequest)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The machine, for the record: absolute numbers only compare on the same one. */
export function machine() {
  const cores = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit: gitCommit(),
  };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The library sources changed since `packages/gatehouse/dist` was built, if any: the bench imports
 * the build, so a stale one would time old code.
 */
export async function staleSources() {
  const library = new URL('../../packages/gatehouse/', import.meta.url);
  const built = await stat(new URL('dist/index.js', library)).catch(() => undefined);
  if (!built) return ['packages/gatehouse/dist is missing'];
  const entries = await readdir(new URL('src/', library), { recursive: true });
  const stale = [];
  for (const entry of entries.filter((name) => /(?<!\.test)\.ts$/.test(name))) {
    const { mtimeMs } = await stat(new URL(`src/${entry}`, library));
    if (mtimeMs > built.mtimeMs) stale.push(`packages/gatehouse/src/${entry}`);
  }
  return stale;
}

/** Writes the results to bench/results/<name>-<timestamp>.json and returns the path. */
export async function writeResults(name, results) {
  const directory = new URL('../results/', import.meta.url);
  await mkdir(directory, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  const file = new URL(`${name}-${stamp}.json`, directory);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file.pathname;
}
