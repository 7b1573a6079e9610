/**
 * Part 1, in process, no HTTP: verifications per second of the same tokens by raw jose and by
 * Gatehouse's verifier, without and with its verified-token cache.
 */
import { performance } from 'node:perf_hooks';

import { createAccessTokenVerifier } from 'gatehouse/auth';

import { watchMachine } from './machine-load.mjs';
import { joseVerify, SETTINGS } from './tokens.mjs';

/**
 * The verifiers, each with the tokens it cycles through and a call that resolves to the claims
 * (anything with `sub`) or undefined. `tokens` is the pool of `issueTokens`.
 */
export async function createVariants({ ring, publicKey, tokens }) {
  const one = tokens.slice(0, 1);
  const cached = createAccessTokenVerifier(ring, SETTINGS);
  const cachedMany = createAccessTokenVerifier(ring, SETTINGS);
  const uncached = createAccessTokenVerifier(ring, SETTINGS, { cacheSize: 0 });

  const variants = [
    {
      name: 'jose',
      label: 'raw `jose.jwtVerify`',
      tokens: one,
      call: (token) => joseVerify(token, publicKey),
    },
    {
      name: 'gatehouse-nocache',
      label: 'Gatehouse, `cacheSize: 0`',
      tokens: one,
      call: (token) => uncached.verify(token),
    },
    {
      name: 'gatehouse-cache',
      label: 'Gatehouse, cache, same token',
      tokens: one,
      call: (token) => cached.verify(token),
    },
    {
      name: 'gatehouse-cache-many',
      label: `Gatehouse, cache, ${tokens.length} tokens`,
      tokens,
      call: (token) => cachedMany.verify(token),
    },
  ];

  // Every verifier must accept every token it is timed with, and the caches start full, so a
  // cached run times cache hits from its first operation.
  for (const variant of variants) {
    for (const { token, userId } of variant.tokens) {
      const claims = await variant.call(token);
      if (claims?.sub !== userId) throw new Error(`${variant.name} refused a valid token`);
    }
  }
  return variants;
}

/**
 * Calls `variant` for `seconds`, keeping `inFlight` verifications pending at once, cycling
 * through its tokens. Every result is checked against the token's user. CPU time is the whole
 * process's, the libuv threads that run WebCrypto included.
 */
export async function timeVariant(variant, { seconds, inFlight }) {
  const { tokens, call } = variant;
  let next = 0;
  let done = 0;
  let failures = 0;
  const cpuBefore = process.cpuUsage();
  const machine = watchMachine();
  const started = performance.now();
  const end = started + seconds * 1000;

  async function worker() {
    while (performance.now() < end) {
      const { token, userId } = tokens[next % tokens.length];
      next += 1;
      const claims = await call(token);
      if (claims?.sub !== userId) failures += 1;
      done += 1;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const busyCores = machine();
  return {
    opsPerSecond: done / elapsed,
    cpuMicrosPerOp: (cpu.user + cpu.system) / done,
    cpuShare: (cpu.user + cpu.system) / 1e6 / elapsed,
    // Cores kept busy by everything else on the machine meanwhile.
    otherCores: busyCores - (cpu.user + cpu.system) / 1e6 / elapsed,
    operations: done,
    failures,
    ok: done > 0 && failures === 0,
  };
}
