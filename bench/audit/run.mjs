/**
 * Audit log benchmark: durable appends per second with group commit against one fsync (or one
 * transaction) per entry, on the file store and on PostgreSQL, side by side in one run; the
 * speed of `verifyAuditLog` over both stores; and proof sizes and times at a million entries.
 *
 *   npm run bench:audit -w @gatehouse/bench [-- --rounds 5 --duration 3 --only appends]
 *
 * Append rounds are interleaved (every variant once per round, in a rotating order) and each
 * number is the median over the rounds. Stores live in a scratch directory under bench/results/
 * (the repository's disk) and in throwaway PostgreSQL databases (AUDIT_BENCH_DATABASE_URL or
 * TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), all removed at the
 * end. See docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';

import { machine, staleSources, writeResults } from '../pipeline/report.mjs';

import {
  appendRatios,
  formatAppends,
  openVariant,
  summarizeAppends,
  timeAppends,
  VARIANTS,
} from './appends.mjs';
import { formatProofs, runProofs } from './proofs.mjs';
import {
  checkpointKey,
  entryPool,
  meanRecordBytes,
  ORIGIN,
  postgresSettings,
  scratchDirectory,
} from './support.mjs';
import { BUILD_BATCH, formatVerification, runVerification } from './verify.mjs';

const PARTS = ['appends', 'verify', 'proofs'];

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'in-flight': { type: 'string', default: '64' },
    variants: { type: 'string' },
    only: { type: 'string' },
    'verify-entries': { type: 'string', default: '100000' },
    'proof-entries': { type: 'string', default: '1000000' },
    proofs: { type: 'string', default: '1000' },
    'record-proofs': { type: 'string', default: '50' },
    dir: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const rounds = quick ? 1 : Number(args.rounds);
const duration = quick ? 1 : Number(args.duration);
const warmup = quick ? 0.25 : Number(args.warmup);
const inFlight = Number(args['in-flight']);
const verifyEntries = quick ? 10_000 : Number(args['verify-entries']);
const proofEntries = quick ? 100_000 : Number(args['proof-entries']);
const proofSamples = quick ? 100 : Number(args.proofs);
const recordProofs = quick ? 5 : Number(args['record-proofs']);
const parts = args.only ? args.only.split(',') : PARTS;
if (!parts.every((part) => PARTS.includes(part))) {
  console.error(`--only takes ${PARTS.join(', ')}`);
  process.exit(2);
}
const counts = [rounds, duration, inFlight, verifyEntries, proofEntries, proofSamples];
if (!counts.every((n) => Number.isFinite(n) && n > 0) || !(warmup >= 0) || !(recordProofs >= 0)) {
  console.error('--rounds, --duration, --in-flight and the sizes are positive numbers');
  process.exit(2);
}
let variants = VARIANTS;
if (args.variants) {
  const wanted = args.variants.split(',');
  variants = VARIANTS.filter((variant) => wanted.includes(variant.name));
}

const stale = await staleSources();
if (stale.length > 0) {
  console.error(`⚠ the library changed since its last build (run npm run build -w gatehouse):`);
  for (const file of stale.slice(0, 5)) console.error(`  ${file}`);
}

const began = Date.now();
const elapsed = () => `${Math.round((Date.now() - began) / 1000)} s`;
const say = (line) => console.error(line);
const rotate = (list, round) => list.map((_, i) => list[(i + round) % list.length]);
let failed = false;

const scratch = await scratchDirectory(args.dir);
const { signer, verifiers } = await checkpointKey(scratch.path);
const pool = entryPool(20_000);
const recordBytes = meanRecordBytes(pool);
const usesPostgres = parts.some((part) => part !== 'proofs');
const postgres = usesPostgres ? await postgresSettings() : {};
say(
  `scratch directory ${scratch.path} (${scratch.filesystem.type} on ${scratch.filesystem.source})`,
);

const appends = { runs: [], summaries: [], ratios: [] };
let verification;
let proofs;
try {
  if (parts.includes('appends')) {
    const widthOf = (variant) => (variant.inFlight === 'wide' ? inFlight : variant.inFlight);
    const opened = [];
    try {
      for (const variant of variants) {
        opened.push({
          variant,
          ...(await openVariant(variant, { dir: scratch.path, signer, origin: ORIGIN })),
        });
      }
      const cursor = { next: 0 };
      // One untimed pass first: JIT, connections, the files and tables created.
      for (const entry of opened) {
        await timeAppends(entry, {
          pool,
          seconds: Math.max(warmup, 0.5),
          inFlight: widthOf(entry.variant),
          cursor,
        });
      }

      say(
        `${rounds * opened.length} timed runs of ${duration} s (${inFlight} in flight for the ` +
          `wide variants), rounds interleaved`,
      );
      for (let round = 0; round < rounds; round += 1) {
        for (const entry of rotate(opened, round)) {
          const width = widthOf(entry.variant);
          if (warmup > 0)
            await timeAppends(entry, { pool, seconds: warmup, inFlight: width, cursor });
          const result = await timeAppends(entry, {
            pool,
            seconds: duration,
            inFlight: width,
            cursor,
          });
          appends.runs.push({
            round: round + 1,
            variant: entry.variant.name,
            inFlight: width,
            ...result,
          });
          say(
            `round ${round + 1} ${entry.variant.name.padEnd(12)} ${Math.round(result.appendsPerSecond)} ` +
              `appends/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ` +
              `${result.entriesPerWrite.toFixed(1)} entries/write` +
              `${result.ok ? '' : `  ✗ ${result.errors} errors: ${result.firstError ?? ''}`}`,
          );
          if (!result.ok) failed = true;
        }
      }
    } finally {
      for (const entry of opened) await entry.close();
    }
    appends.summaries = summarizeAppends(appends.runs);
    appends.ratios = appendRatios(appends.summaries, appends.runs);
    say(`appends done after ${elapsed()}`);
  }

  if (parts.includes('verify')) {
    verification = await runVerification({
      dir: scratch.path,
      signer,
      verifiers,
      origin: ORIGIN,
      pool,
      count: verifyEntries,
      rounds,
      log: say,
    });
    if (!verification.ok) failed = true;
    say(`verification done after ${elapsed()}`);
  }

  if (parts.includes('proofs')) {
    proofs = await runProofs({
      dir: scratch.path,
      signer,
      origin: ORIGIN,
      pool,
      count: proofEntries,
      samples: proofSamples,
      recordSamples: recordProofs,
      log: say,
    });
    if (!proofs.ok) failed = true;
    say(`proofs done after ${elapsed()}`);
  }
} finally {
  await scratch.remove();
}

console.log(`\n## Audit log\n`);
if (appends.runs.length > 0) {
  console.log(`### Durable appends\n`);
  console.log(formatAppends(appends.summaries, appends.ratios));
}
if (verification !== undefined) {
  console.log(`### Verification\n`);
  console.log(formatVerification(verification));
}
if (proofs !== undefined) {
  console.log(`### Proofs\n`);
  console.log(formatProofs(proofs));
}

const file = await writeResults('audit', {
  benchmark: 'audit',
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - began) / 1000),
  machine: machine(),
  filesystem: scratch.filesystem,
  postgres,
  staleLibrarySources: stale,
  settings: {
    rounds,
    duration,
    warmup,
    inFlight,
    parts,
    variants: variants.map((variant) => variant.name),
    entryPool: pool.length,
    meanRecordBytes: recordBytes,
    buildBatch: BUILD_BATCH,
    verifyEntries,
    proofEntries,
    proofSamples,
    recordProofs,
  },
  appends,
  verification,
  proofs: proofs === undefined ? undefined : { summary: proofs.summary, samples: proofs.samples },
  ok: !failed,
});
say(`results: ${file} (${elapsed()} in all)`);
if (failed) {
  say('✗ some appends, verifications or proofs failed: see the JSON');
  process.exitCode = 1;
}
