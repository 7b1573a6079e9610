/**
 * Proofs at scale: a file store of a million entries (by default), then inclusion and
 * consistency proofs at random positions: their size against the ⌈log2 n⌉ hashes of the RFC
 * 6962 tree, the time to serve them from the stored tree, and the time to verify them.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  createAuditLog,
  equalHashes,
  HASH_SIZE,
  inclusionProofFrom,
  openFileAuditStore,
  verifyConsistency,
  verifyInclusion,
} from 'gatehouse/audit';

import { fillLog, int, median, ms, percentile, seconds } from './support.mjs';
import { BUILD_BATCH } from './verify.mjs';

/** Uniform random integers in [0, bound), from a fixed seed so runs pick the same positions. */
function positions(seed) {
  let state = BigInt(seed);
  return (bound) => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number((state >> 11n) % BigInt(bound));
  };
}

/**
 * An inclusion proof and leaf hash read from the stored tree the way the engine reads them: a
 * first pass of the RFC 6962 recursion learns which subtree roots it needs (the recursion
 * depends only on the sizes), one `store.nodes` call fetches them, and a second pass builds the
 * proof. Unlike `log.inclusionProof`, it does not read the record itself back.
 */
async function treeInclusionProof(store, index, size) {
  const wanted = new Map([['0/' + index, { level: 0, index }]]);
  const blank = new Uint8Array(HASH_SIZE);
  inclusionProofFrom(
    (level, i) => {
      wanted.set(`${level}/${i}`, { level, index: i });
      return blank;
    },
    index,
    size,
  );
  const keys = [...wanted.values()];
  const hashes = await store.nodes(keys);
  const found = new Map(keys.map((key, i) => [`${key.level}/${key.index}`, hashes[i]]));
  const proof = inclusionProofFrom((level, i) => found.get(`${level}/${i}`), index, size);
  return { leafHash: found.get(`0/${index}`), proof };
}

/** Bytes in the files under `dir`. */
async function directoryBytes(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

/** The first seq of every segment, from the file names (`segment-<first seq>.jsonl`). */
async function segmentStarts(dir) {
  const names = await readdir(dir);
  return names
    .map((name) => /^segment-(\d+)\.jsonl$/.exec(name)?.[1])
    .filter((start) => start !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function distribution(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0],
    median: median(sorted),
    max: sorted.at(-1),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/** The least-squares slope of `ys` over `xs`. */
function slope(xs, ys) {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((xv, i) => {
    num += (xv - mx) * (ys[i] - my);
    den += (xv - mx) ** 2;
  });
  return den === 0 ? NaN : num / den;
}

/**
 * Builds a file log of `count` entries, then times `samples` inclusion proofs from the stored
 * tree, `samples` consistency proofs between random sizes, and `recordSamples` complete
 * `log.inclusionProof` calls (record included), verifying every proof.
 */
export async function runProofs({
  dir,
  signer,
  origin,
  pool,
  count,
  samples,
  recordSamples,
  log: say,
}) {
  const errors = [];
  const storeDir = join(dir, 'proofs');
  const store = await openFileAuditStore(storeDir);
  const log = createAuditLog({
    store,
    signer,
    origin,
    checkpointIntervalMs: 0,
    maxBatch: BUILD_BATCH,
    onError: (error) => errors.push(error),
  });
  try {
    const buildSeconds = await fillLog(log, pool, count, { chunk: BUILD_BATCH });
    if (errors.length > 0) throw new Error(`building failed: ${String(errors[0])}`);
    const size = await store.size();
    if (size !== count) throw new Error(`the log holds ${size} entries, not ${count}`);
    const checkpoint = await log.checkpoint();
    const diskBytes = await directoryBytes(storeDir);
    say(`built a file log of ${count} entries in ${seconds(buildSeconds)}`);

    const random = positions(20261203);
    const bound = Math.ceil(Math.log2(count));

    const inclusion = [];
    for (let i = 0; i < samples; i += 1) {
      const index = random(count);
      const t0 = performance.now();
      const { leafHash, proof } = await treeInclusionProof(store, index, count);
      const t1 = performance.now();
      const ok = verifyInclusion(leafHash, index, count, proof, checkpoint.root);
      const t2 = performance.now();
      inclusion.push({ index, hashes: proof.length, serveMs: t1 - t0, verifyMs: t2 - t1, ok });
    }

    const consistency = [];
    for (let i = 0; i < samples; i += 1) {
      const a = 1 + random(count);
      let b = 1 + random(count);
      while (b === a) b = 1 + random(count);
      const [oldSize, newSize] = a < b ? [a, b] : [b, a];
      const t0 = performance.now();
      const proof = await log.consistencyProof(oldSize, newSize);
      const t1 = performance.now();
      const ok = verifyConsistency(oldSize, newSize, proof.oldRoot, proof.newRoot, proof.proof);
      const t2 = performance.now();
      consistency.push({
        oldSize,
        newSize,
        hashes: proof.proof.length,
        bound: Math.ceil(Math.log2(newSize)),
        serveMs: t1 - t0,
        verifyMs: t2 - t1,
        ok,
      });
    }
    say(`timed ${samples} inclusion and ${samples} consistency proofs`);

    const starts = await segmentStarts(storeDir);
    const withRecord = [];
    for (let i = 0; i < recordSamples; i += 1) {
      const index = random(count);
      const t0 = performance.now();
      const full = await log.inclusionProof(index, count);
      const t1 = performance.now();
      const tree = await treeInclusionProof(store, index, count);
      const same =
        full.proof.length === tree.proof.length &&
        full.proof.every((hash, j) => equalHashes(hash, tree.proof[j]));
      const ok = same && verifyInclusion(full.leafHash, index, count, full.proof, checkpoint.root);
      const segmentStart = starts.findLast((start) => start <= index) ?? 0;
      withRecord.push({ index, beforeInSegment: index - segmentStart, serveMs: t1 - t0, ok });
    }
    if (recordSamples > 0) say(`timed ${recordSamples} inclusion proofs with their record`);

    const summary = {
      entries: count,
      buildSeconds,
      buildEntriesPerSecond: count / buildSeconds,
      diskBytes,
      segments: starts.length,
      bound,
      inclusion: {
        samples,
        hashes: distribution(inclusion.map((p) => p.hashes)),
        serveMs: distribution(inclusion.map((p) => p.serveMs)),
        verifyMs: distribution(inclusion.map((p) => p.verifyMs)),
        ok: inclusion.every((p) => p.ok),
      },
      consistency: {
        samples,
        hashes: distribution(consistency.map((p) => p.hashes)),
        overBound: distribution(consistency.map((p) => p.hashes - p.bound)),
        serveMs: distribution(consistency.map((p) => p.serveMs)),
        verifyMs: distribution(consistency.map((p) => p.verifyMs)),
        ok: consistency.every((p) => p.ok),
      },
      withRecord:
        recordSamples === 0
          ? undefined
          : {
              samples: recordSamples,
              serveMs: distribution(withRecord.map((p) => p.serveMs)),
              msPer10kBefore:
                slope(
                  withRecord.map((p) => p.beforeInSegment),
                  withRecord.map((p) => p.serveMs),
                ) * 10_000,
              ok: withRecord.every((p) => p.ok),
            },
    };
    const ok = summary.inclusion.ok && summary.consistency.ok && (summary.withRecord?.ok ?? true);
    return { summary, samples: { inclusion, consistency, withRecord }, ok };
  } finally {
    await log.close();
  }
}

const span = ({ min, median: mid, max }) => `${min} / ${mid} / ${max}`;

export function formatProofs({ summary: s }) {
  const lines = [];
  lines.push(
    `${int(s.entries)} entries built in ${seconds(s.buildSeconds)} ` +
      `(${int(s.buildEntriesPerSecond)} entries/s), ${(s.diskBytes / 2 ** 20).toFixed(0)} MiB ` +
      `on disk in ${s.segments} segment${s.segments === 1 ? '' : 's'}; ⌈log2 n⌉ = ${s.bound}.`,
    '',
  );
  lines.push(
    '| proof | samples | hashes min / median / max | bytes (median) | serve p50 ms | serve p99 ms | ' +
      'verify p50 ms | verify p99 ms | all verified |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  const row = (name, p) =>
    `| ${name} | ${int(p.samples)} | ${span(p.hashes)} | ${int(p.hashes.median * HASH_SIZE)} | ` +
    `${ms(p.serveMs.p50)} | ${ms(p.serveMs.p99)} | ${ms(p.verifyMs.p50)} | ` +
    `${ms(p.verifyMs.p99)} | ${p.ok ? 'yes' : '**no**'} |`;
  lines.push(row('inclusion, from the stored tree', s.inclusion));
  lines.push(row('consistency, random (old, new)', s.consistency));
  lines.push('');
  lines.push(
    `Consistency proofs had ${span(s.consistency.overBound)} hashes more than ⌈log2 new⌉ ` +
      '(min / median / max).',
  );
  if (s.withRecord !== undefined) {
    const w = s.withRecord;
    lines.push('');
    lines.push(
      `\`log.inclusionProof\` with the record read back, ${w.samples} samples: p50 ` +
        `${ms(w.serveMs.p50)} ms, p99 ${ms(w.serveMs.p99)} ms, about ` +
        `${w.msPer10kBefore.toFixed(1)} ms more per 10,000 records before it in its segment` +
        `${w.ok ? '' : '; **some proofs differed or failed**'}.`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
