import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createRedisReplayStore,
  createSignatureVerifier,
  signRequest,
  type SignatureVerifier,
} from '../../src/signatures/index.js';
import { testRedis, type TestRedisClient } from '../support/redis.js';

const redis = testRedis('gh:nonce');
const { prefix, connect } = redis;

type Client = TestRedisClient;
const key = { id: 'billing', secret: new Uint8Array(randomBytes(32)) };

let admin: Client;
/** Two instances of a service: separate Redis connections, one nonce space. */
let instances: [SignatureVerifier, SignatureVerifier];

beforeAll(async () => {
  admin = await connect();
  const verifierOn = async () =>
    createSignatureVerifier({
      keys: (keyId) => (keyId === key.id ? [key.secret] : []),
      replay: createRedisReplayStore(await connect(), { prefix }),
    });
  instances = [await verifierOn(), await verifierOn()];
});

afterAll(() => redis.cleanup());

const signedPost = () =>
  signRequest(
    new Request('https://api.example/internal/usage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"units":3}',
    }),
    key,
  );
const bytes = async (request: Request) => new Uint8Array(await request.clone().arrayBuffer());

describe('replay protection shared through Redis', () => {
  it('accepts a signed request once, and refuses its replay on another instance', async () => {
    const signed = await signedPost();
    const body = await bytes(signed);

    const first = await instances[0].verify(signed, { body });
    expect(first).toMatchObject({ ok: true, keyId: 'billing' });
    expect(await instances[1].verify(signed, { body })).toEqual({ ok: false, reason: 'replayed' });
    expect(await instances[0].verify(signed, { body })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('stores the nonce with a TTL bounded by the signature window', async () => {
    const signed = await signedPost();
    const verdict = await instances[0].verify(signed, { body: await bytes(signed) });
    if (!verdict.ok) throw new Error(verdict.reason);

    const ttl = await admin.pTTL(`${prefix}billing:${verdict.nonce}`);
    // expires (60 s) + skew (30 s) + the rounding second, counted from now.
    expect(ttl).toBeGreaterThan(85_000);
    expect(ttl).toBeLessThanOrEqual(91_000);
  });

  it('lets exactly one of many concurrent deliveries through', async () => {
    const signed = await signedPost();
    const body = await bytes(signed);
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? instances[0] : instances[1]).verify(signed.clone(), { body }),
      ),
    );
    expect(verdicts.filter((verdict) => verdict.ok)).toHaveLength(1);
    expect(verdicts.filter((verdict) => !verdict.ok && verdict.reason === 'replayed')).toHaveLength(
      19,
    );
  });

  it('refuses, as unavailable, when Redis cannot be reached', async () => {
    const client = await connect();
    const verifier = createSignatureVerifier({
      keys: () => [key.secret],
      replay: createRedisReplayStore(client, { prefix }),
    });
    client.destroy();
    const signed = await signedPost();
    expect(await verifier.verify(signed, { body: await bytes(signed) })).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });
});
