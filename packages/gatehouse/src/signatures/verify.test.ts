import { describe, expect, it } from 'vitest';

import { contentDigest } from './digest.js';
import { signRequest } from './sign.js';
import {
  ALL,
  altered,
  at,
  BODY,
  bytes,
  check,
  NOW,
  NOW_S,
  OLD,
  PARAMS,
  post,
  signWith,
  URL_,
  verifier,
} from './test/signed.js';

describe('a signed request round trip', () => {
  it('verifies, naming the key, nonce, creation time and label', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    expect(await check(signed)).toEqual({
      ok: true,
      keyId: 'billing',
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      created: NOW_S,
      label: 'sig1',
    });
  });

  it('verifies a request without a body', async () => {
    const signed = await signRequest(new Request(URL_), OLD, { now: at(NOW) });
    expect(await check(signed)).toMatchObject({ ok: true });
  });

  it('verifies the hand-made signature the other tests alter', async () => {
    expect(await check(await signWith(post(), ALL, PARAMS))).toMatchObject({ ok: true });
  });
});

describe('tampering', () => {
  it('refuses a changed method (verb swap)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    expect(await check(altered(signed, { method: 'PUT' }))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a changed path (request redirection)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const url = 'https://api.example/internal/refunds?day=2025-06-01';
    expect(await check(altered(signed, { url }))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a changed query (parameter tampering)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const url = 'https://api.example/internal/usage?day=2025-06-02';
    expect(await check(altered(signed, { url }))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses another host (cross-service replay)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const url = 'https://other.example/internal/usage?day=2025-06-01';
    expect(await check(altered(signed, { url }))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a changed covered header', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const changed = altered(signed, { headers: { 'content-type': 'text/plain' } });
    expect(await check(changed)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a changed body against the signed digest (body substitution)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    expect(await check(altered(signed, { body: '{"units":3000}' }))).toEqual({
      ok: false,
      reason: 'digest',
    });
  });

  it('refuses a changed body with a recomputed, unsigned digest', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const body = '{"units":3000}';
    const digest = await contentDigest(new TextEncoder().encode(body));
    const changed = altered(signed, { body, headers: { 'content-digest': digest } });
    expect(await check(changed)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a stripped body, since the signed digest no longer matches', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const stripped = altered(signed, { body: null });
    expect(await verifier().verify(stripped, { body: new Uint8Array() })).toEqual({
      ok: false,
      reason: 'digest',
    });
  });

  it('refuses a body added to a request signed without one', async () => {
    const signed = await signRequest(new Request(URL_, { method: 'POST' }), OLD, { now: at(NOW) });
    const stuffed = altered(signed, {
      body: BODY,
      headers: { 'content-type': 'application/json' },
    });
    expect(await check(stuffed)).toEqual({ ok: false, reason: 'components' });
  });

  it('accepts the public URL of a request a proxy rewrote, only when told it', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const internal = altered(signed, { url: 'http://10.0.0.5:3000/internal/usage?day=2025-06-01' });
    const body = await bytes(internal);
    expect(await verifier().verify(internal, { body })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await verifier().verify(internal, { body, targetUri: URL_ })).toMatchObject({
      ok: true,
    });
  });
});

describe('required components', () => {
  it.each([
    { what: 'content-digest', components: ['@method', '@target-uri', 'content-type'] },
    { what: 'content-type', components: ['@method', '@target-uri', 'content-digest'] },
    { what: '@method', components: ['@target-uri', 'content-type', 'content-digest'] },
    { what: '@target-uri', components: ['@method', 'content-type', 'content-digest'] },
  ])('refuses a body request whose signature leaves out $what', async ({ components }) => {
    expect(await check(await signWith(post(), components, PARAMS))).toEqual({
      ok: false,
      reason: 'components',
    });
  });

  it('refuses an empty covered set (a signature that fits any request)', async () => {
    const signed = await signWith(new Request(URL_), [], PARAMS);
    expect(await check(signed)).toEqual({ ok: false, reason: 'components' });
  });

  it('refuses a covered header removed on the way (never an empty value)', async () => {
    const request = new Request(URL_, { headers: { 'x-tenant': 't1' } });
    const signed = await signWith(request, ['@method', '@target-uri', 'x-tenant'], PARAMS);
    signed.headers.delete('x-tenant');
    expect(await check(signed)).toEqual({ ok: false, reason: 'components' });
  });

  it('refuses a covered Content-Digest field that is absent', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    signed.headers.delete('content-digest');
    expect(await check(signed)).toEqual({ ok: false, reason: 'components' });
  });

  it.each([
    { what: 'unknown derived components', input: '("@method" "@target-uri" "@colour")' },
    { what: 'duplicates', input: '("@method" "@target-uri" "@method")' },
    { what: 'component parameters', input: '("@method" "@target-uri";sf)' },
    { what: 'upper-case field names', input: '("@method" "@target-uri" "Date")' },
  ])('refuses $what', async ({ input }) => {
    const signed = await signRequest(new Request(URL_), OLD, { now: at(NOW) });
    const params = ';created=1748779200;expires=1748779260;nonce="n-1";keyid="billing"';
    signed.headers.set('signature-input', `sig1=${input}${params}`);
    expect(await check(signed)).toEqual({ ok: false, reason: 'components' });
  });
});

describe('time window', () => {
  it('refuses a stale created (too old)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW - 400_000) });
    expect(await check(signed)).toEqual({ ok: false, reason: 'too-old' });
  });

  it('refuses a created in the future beyond the skew, accepts one within it', async () => {
    const ahead = await signRequest(post(), OLD, { now: at(NOW + 60_000) });
    expect(await check(ahead)).toEqual({ ok: false, reason: 'not-yet-valid' });
    const slightlyAhead = await signRequest(post(), OLD, { now: at(NOW + 20_000) });
    expect(await check(slightlyAhead)).toMatchObject({ ok: true });
  });

  it('refuses an expires that has passed, allowing for the skew', async () => {
    const expired = await signRequest(post(), OLD, { now: at(NOW - 120_000) });
    expect(await check(expired)).toEqual({ ok: false, reason: 'expired' });
    const withinSkew = await signRequest(post(), OLD, { now: at(NOW - 80_000) });
    expect(await check(withinSkew)).toMatchObject({ ok: true });
  });

  it('refuses an expires further than maxAgeSeconds after created (long-lived signature)', async () => {
    const params = { ...PARAMS, expires: NOW_S + 301 };
    expect(await check(await signWith(post(), ALL, params))).toEqual({
      ok: false,
      reason: 'lifetime',
    });
  });

  it('refuses an expires before created', async () => {
    const params = { ...PARAMS, expires: NOW_S - 1 };
    expect(await check(await signWith(post(), ALL, params))).toEqual({
      ok: false,
      reason: 'lifetime',
    });
  });

  it('follows maxAgeSeconds and clockSkewSeconds', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW - 50_000), expiresInSeconds: 45 });
    expect(await check(signed)).toMatchObject({ ok: true });
    expect(await check(signed, { clockSkewSeconds: 0 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    const long = await signRequest(post(), OLD, { now: at(NOW), expiresInSeconds: 120 });
    expect(await check(long, { maxAgeSeconds: 60, clockSkewSeconds: 0 })).toEqual({
      ok: false,
      reason: 'lifetime',
    });
  });
});
