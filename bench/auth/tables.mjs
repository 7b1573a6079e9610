/**
 * Medians, ratios and Markdown tables of the authentication benchmark. The HTTP runs are
 * summarised by bench/pipeline/report.mjs (same metrics); the in-process runs here.
 */
import { median } from '../pipeline/measure.mjs';

/** (max - min) / median of the rounds: how much the rounds disagreed. */
const spread = (values) => (Math.max(...values) - Math.min(...values)) / median(values);

const x = (value) => `${value < 0.1 ? value.toPrecision(2) : value.toFixed(2)}×`;
const ms = (value) => (value < 1 ? value.toFixed(3) : value.toFixed(2));
const int = (value) => Math.round(value).toLocaleString('en-US');
const micros = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(0));
const percent = (value) => `${(value * 100).toFixed(0)} %`;
const cores = (value) => (Number.isNaN(value) ? '?' : value.toFixed(2));

/** Median over the rounds of each in-process verifier, per number in flight. */
export function summarizeVerify(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.inFlight}|${run.variant}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  return [...groups.values()].map((group) => {
    const { inFlight, variant } = group[0];
    const ops = group.map((run) => run.opsPerSecond);
    return {
      inFlight,
      variant,
      rounds: group.length,
      opsPerSecond: median(ops),
      cpuMicrosPerOp: median(group.map((run) => run.cpuMicrosPerOp)),
      otherCores: median(group.map((run) => run.otherCores)),
      spread: spread(ops),
    };
  });
}

/** Each verifier's medians over raw jose's (and the cached ones over the uncached one). */
export function verifyRatios(summaries) {
  const out = [];
  for (const subject of summaries) {
    const find = (variant) =>
      summaries.find((s) => s.inFlight === subject.inFlight && s.variant === variant);
    for (const versus of ['jose', 'gatehouse-nocache']) {
      const base = find(versus);
      if (!base || subject.variant === versus || subject.variant === 'jose') continue;
      if (versus === 'gatehouse-nocache' && !subject.variant.startsWith('gatehouse-cache'))
        continue;
      out.push({
        inFlight: subject.inFlight,
        variant: subject.variant,
        versus,
        opsPerSecond: subject.opsPerSecond / base.opsPerSecond,
        cpuMicrosPerOp: subject.cpuMicrosPerOp / base.cpuMicrosPerOp,
      });
    }
  }
  return out;
}

export function formatVerify(summaries, ratioRows, labels) {
  const lines = [];
  lines.push(
    '| verifier | in flight | verifications/s | CPU µs/verification | spread | other cores | ÷ jose |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    const ratio = ratioRows.find(
      (r) => r.inFlight === s.inFlight && r.variant === s.variant && r.versus === 'jose',
    );
    lines.push(
      `| ${labels[s.variant]} | ${s.inFlight} | ${int(s.opsPerSecond)} | ` +
        `${micros(s.cpuMicrosPerOp)} | ${percent(s.spread)} | ${cores(s.otherCores)} | ${ratio ? x(ratio.opsPerSecond) : '1.00×'} |`,
    );
  }
  lines.push('');
  lines.push('| verifier | in flight | ÷ | verifications/s | CPU/verification |');
  lines.push('| --- | ---: | --- | ---: | ---: |');
  for (const r of ratioRows) {
    lines.push(
      `| ${labels[r.variant]} | ${r.inFlight} | ${r.versus} | ${x(r.opsPerSecond)} | ` +
        `${x(r.cpuMicrosPerOp)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Adds to each HTTP summary the median of the cores other processes kept busy meanwhile. */
export function withOtherCores(summaries, runs) {
  return summaries.map((s) => ({
    ...s,
    otherCores: median(
      runs
        .filter((run) => run.connections === s.connections && run.server === s.server)
        .map((run) => run.otherCores),
    ),
  }));
}

const HTTP_METRICS = ['requestsPerSecond', 'p50', 'p99', 'serverCpuMicrosPerRequest'];

/**
 * Each Gatehouse server's medians over the jose anchor's, the cached over the uncached, and the
 * anchor over the floor (what verifying with jose costs over HTTP).
 */
export function httpRatios(summaries) {
  const pairs = [
    ['jose', 'bare'],
    ['gatehouse-nocache', 'jose'],
    ['gatehouse-cache', 'jose'],
    ['gatehouse-cache', 'gatehouse-nocache'],
  ];
  const out = [];
  for (const connections of new Set(summaries.map((s) => s.connections))) {
    const find = (server) =>
      summaries.find((s) => s.connections === connections && s.server === server);
    for (const [server, versus] of pairs) {
      const subject = find(server);
      const base = find(versus);
      if (!subject || !base) continue;
      const ratio = { connections, server, versus };
      for (const metric of HTTP_METRICS) ratio[metric] = subject[metric] / base[metric];
      out.push(ratio);
    }
  }
  return out;
}

export function formatHttp(summaries, ratioRows, labels) {
  const lines = [];
  lines.push(
    '| server | connections | req/s | p50 ms | p99 ms | server CPU µs/req | spread | other cores |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    lines.push(
      `| ${labels[s.server]} | ${s.connections} | ${int(s.requestsPerSecond)} | ${ms(s.p50)} | ` +
        `${ms(s.p99)} | ${Math.round(s.serverCpuMicrosPerRequest)} | ${percent(s.spread)} | ` +
        `${cores(s.otherCores)} |`,
    );
  }
  lines.push('');
  lines.push('| server | connections | ÷ | req/s | p50 | p99 | server CPU/req |');
  lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const r of ratioRows) {
    lines.push(
      `| ${labels[r.server]} | ${r.connections} | ${r.versus} | ${x(r.requestsPerSecond)} | ` +
        `${x(r.p50)} | ${x(r.p99)} | ${x(r.serverCpuMicrosPerRequest)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
