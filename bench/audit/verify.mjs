/**
 * Verification speed: `verifyAuditLog` over a file store and a PostgreSQL store of the same
 * entries, each re-read, re-hashed and checked against its signed checkpoints.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  createAuditLog,
  fileAuditSource,
  openFileAuditStore,
  openPostgresAuditStore,
  setupAuditDatabase,
  verifyAuditLog,
} from 'gatehouse/audit';

import { fillLog, int, median, percent, seconds, spread, throwawayDatabase } from './support.mjs';

/** Entries per batch while building, and a checkpoint every this many entries. */
export const BUILD_BATCH = 10_000;
const CHECKPOINT_EVERY = 10_000;

const LABELS = { file: 'file store', postgres: 'PostgreSQL store' };

/**
 * Builds a log of `count` entries in each store, then verifies each `rounds` times, the two
 * stores in turns. Each verification must succeed over exactly `count` entries.
 */
export async function runVerification({
  dir,
  signer,
  verifiers,
  origin,
  pool,
  count,
  rounds,
  log: say,
}) {
  const targets = [];
  const errors = [];
  const onError = (error) => errors.push(error);
  try {
    const fileDir = join(dir, 'verify-file');
    const fileLog = createAuditLog({
      store: await openFileAuditStore(fileDir),
      signer,
      origin,
      checkpointIntervalMs: 0,
      maxBatch: BUILD_BATCH,
      onError,
    });
    const fileBuild = await fillLog(fileLog, pool, count, {
      chunk: BUILD_BATCH,
      checkpointEvery: CHECKPOINT_EVERY,
    });
    await fileLog.close();
    say(`built a file log of ${count} entries in ${seconds(fileBuild)}`);
    targets.push({ store: 'file', build: fileBuild, source: fileAuditSource(fileDir) });

    const database = await throwawayDatabase((owner) => setupAuditDatabase(owner));
    targets.push({ store: 'postgres', database });
    const pgLog = createAuditLog({
      store: await openPostgresAuditStore(database.url),
      signer,
      origin,
      checkpointIntervalMs: 0,
      maxBatch: BUILD_BATCH,
      onError,
    });
    const pgBuild = await fillLog(pgLog, pool, count, {
      chunk: BUILD_BATCH,
      checkpointEvery: CHECKPOINT_EVERY,
    });
    await pgLog.close();
    say(`built a PostgreSQL log of ${count} entries in ${seconds(pgBuild)}`);
    const pgSource = await openPostgresAuditStore(database.url);
    Object.assign(targets[1], { build: pgBuild, source: pgSource });
    if (errors.length > 0) throw new Error(`building failed: ${String(errors[0])}`);

    const runs = [];
    for (let round = 0; round < rounds; round += 1) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const started = performance.now();
        const result = await verifyAuditLog(target.source, { verifiers, origin });
        const elapsed = (performance.now() - started) / 1000;
        const ok = result.ok && result.entries === count;
        runs.push({
          round: round + 1,
          store: target.store,
          seconds: elapsed,
          entriesPerSecond: result.entries / elapsed,
          entries: result.entries,
          checkpoints: result.checkpoints,
          ok,
        });
        say(
          `round ${round + 1} verify ${target.store.padEnd(8)} ${int(result.entries / elapsed)} ` +
            `entries/s  ${result.checkpoints} checkpoints${ok ? '' : '  ✗ verification failed'}`,
        );
      }
    }

    const summaries = targets.map(({ store, build }) => {
      const group = runs.filter((run) => run.store === store);
      return {
        store,
        entries: count,
        checkpoints: group[0].checkpoints,
        buildSeconds: build,
        buildEntriesPerSecond: count / build,
        seconds: median(group.map((run) => run.seconds)),
        entriesPerSecond: median(group.map((run) => run.entriesPerSecond)),
        spread: spread(group.map((run) => run.entriesPerSecond)),
        ok: group.every((run) => run.ok),
      };
    });
    return { summaries, runs, ok: summaries.every((s) => s.ok) };
  } finally {
    for (const target of targets) {
      if (target.store === 'postgres') {
        await target.source?.close();
        await target.database.drop();
      }
    }
  }
}

export function formatVerification({ summaries }) {
  const lines = [];
  lines.push(
    '| store | entries | checkpoints | built in | build entries/s | verified in | verify entries/s | spread |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    lines.push(
      `| ${LABELS[s.store]} | ${int(s.entries)} | ${s.checkpoints} | ${seconds(s.buildSeconds)} | ` +
        `${int(s.buildEntriesPerSecond)} | ${seconds(s.seconds)} | ${int(s.entriesPerSecond)} | ` +
        `${percent(s.spread)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
