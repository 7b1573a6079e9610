import { serializeDictionary, type BareItem, type InnerList } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { createSignatureBase } from './base.js';
import { contentDigest } from './digest.js';
import { hmacSign } from './hmac.js';
import { createMemoryReplayStore, type ReplayStore } from './replay.js';
import { signRequest, type SigningKey } from './sign.js';
import { createSignatureVerifier, type SignatureVerifierOptions } from './verify.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const OLD: SigningKey = { id: 'billing', secret: new Uint8Array(32).fill(1) };
const NEW: SigningKey = { id: 'billing', secret: new Uint8Array(32).fill(2) };
const URL_ = 'https://api.example/internal/usage?day=2025-06-01';
const BODY = '{"units":3}';

const post = (body: string = BODY, url = URL_) =>
  new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const bytes = async (request: Request) => new Uint8Array(await request.clone().arrayBuffer());
const at = (ms: number) => () => ms;

function verifier(overrides: Partial<SignatureVerifierOptions> = {}) {
  return createSignatureVerifier({
    keys: (keyId) => (keyId === 'billing' ? [OLD.secret] : []),
    replay: createMemoryReplayStore({ now: at(NOW) }),
    now: at(NOW),
    ...overrides,
  });
}

/** Verifies `request` as a route would: with the bytes it received. */
async function check(request: Request, options: Partial<SignatureVerifierOptions> = {}) {
  return verifier(options).verify(request, { body: await bytes(request) });
}

/** `request` with other method, URL, headers or body, but the signature fields it carried. */
function altered(
  signed: Request,
  change: { method?: string; url?: string; body?: string | null; headers?: Record<string, string> },
) {
  const headers = new Headers(signed.headers);
  for (const [name, value] of Object.entries(change.headers ?? {})) headers.set(name, value);
  const method = change.method ?? signed.method;
  return new Request(change.url ?? signed.url, {
    method,
    headers,
    body: change.body === undefined ? BODY : change.body,
  });
}

/**
 * Signs `request` with a hand-made Signature-Input, validly: whatever is refused is refused for
 * its parameters or components, not for a broken HMAC.
 */
async function signWith(
  request: Request,
  components: string[],
  params: Record<string, BareItem>,
  secret = OLD.secret,
  label = 'sig1',
) {
  const headers = new Headers(request.headers);
  const body = request.body === null ? null : await bytes(request);
  if (body !== null && body.length > 0) headers.set('content-digest', await contentDigest(body));
  const withDigest = new Request(request, { headers, body });
  const input: InnerList = [
    components.map((name) => [name, new Map()]),
    new Map(Object.entries(params)),
  ];
  const base = createSignatureBase(withDigest, input);
  if (!base.ok) throw new Error(`test setup: ${base.problem}`);
  withDigest.headers.set('signature-input', serializeDictionary(new Map([[label, input]])));
  const signature = await hmacSign(secret, base.base);
  withDigest.headers.set(
    'signature',
    serializeDictionary(new Map([[label, [signature, new Map()]]])),
  );
  return withDigest;
}

const ALL = ['@method', '@target-uri', 'content-type', 'content-digest'];
const PARAMS = {
  created: NOW_S,
  expires: NOW_S + 60,
  nonce: 'n-0123456789abcdef',
  keyid: 'billing',
  alg: 'hmac-sha256',
};

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

describe('parameters', () => {
  it.each(['created', 'expires', 'nonce', 'keyid'])(
    'refuses a signature without %s',
    async (name) => {
      const params: Record<string, BareItem> = { ...PARAMS };
      delete params[name];
      expect(await check(await signWith(post(), ALL, params))).toEqual({
        ok: false,
        reason: 'params',
      });
    },
  );

  it.each([
    { what: 'a decimal created', params: { created: NOW_S + 0.5 } },
    { what: 'a string expires', params: { expires: String(NOW_S + 60) } },
    { what: 'an integer nonce', params: { nonce: 42 } },
    { what: 'an empty nonce', params: { nonce: '' } },
    { what: 'an unknown parameter', params: { colour: 'blue' } },
  ])('refuses $what', async ({ params }) => {
    expect(await check(await signWith(post(), ALL, { ...PARAMS, ...params }))).toEqual({
      ok: false,
      reason: 'params',
    });
  });

  it.each(['hmac-sha512', 'rsa-pss-sha512', 'ed25519', 'none', 'HMAC-SHA256'])(
    'refuses alg=%s (algorithm confusion)',
    async (alg) => {
      expect(await check(await signWith(post(), ALL, { ...PARAMS, alg }))).toEqual({
        ok: false,
        reason: 'wrong-algorithm',
      });
    },
  );

  it('accepts a signature without alg, the algorithm being fixed by the verifier', async () => {
    const params: Record<string, BareItem> = { ...PARAMS };
    delete params.alg;
    expect(await check(await signWith(post(), ALL, params))).toMatchObject({ ok: true });
  });
});

describe('keys', () => {
  it('refuses an unknown key id', async () => {
    const signed = await signRequest(post(), { ...OLD, id: 'stranger' }, { now: at(NOW) });
    expect(await check(signed)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a signature made with another secret under a known key id (forgery)', async () => {
    const forged = await signRequest(post(), { id: 'billing', secret: new Uint8Array(32) });
    expect(await check(forged, { now: Date.now })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts old and new secrets while a rotation overlaps, and only the new one after', async () => {
    const both = { keys: () => [NEW.secret, OLD.secret] };
    const newOnly = { keys: () => [NEW.secret] };

    expect(await check(await signRequest(post(), OLD, { now: at(NOW) }), both)).toMatchObject({
      ok: true,
    });
    expect(await check(await signRequest(post(), NEW, { now: at(NOW) }), both)).toMatchObject({
      ok: true,
    });
    expect(await check(await signRequest(post(), OLD, { now: at(NOW) }), newOnly)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await check(await signRequest(post(), NEW, { now: at(NOW) }), newOnly)).toMatchObject({
      ok: true,
    });
  });

  it('never uses a secret shorter than 32 bytes (weak key)', async () => {
    const weak = new Uint8Array(16).fill(3);
    const signed = await signWith(post(), ALL, PARAMS, weak);
    expect(await check(signed, { keys: () => [weak] })).toEqual({ ok: false, reason: 'weak-key' });
    // Beside a strong secret the weak one is skipped, so what it signed does not verify.
    expect(await check(signed, { keys: () => [weak, OLD.secret] })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses, without throwing, when the key resolver fails', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const keys = () => Promise.reject(new Error('vault sealed'));
    expect(await check(signed, { keys })).toEqual({ ok: false, reason: 'unavailable' });
  });
});

describe('replay', () => {
  it('accepts a (keyid, nonce) pair once on one instance (replay)', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const shared = verifier();
    const body = await bytes(signed);
    expect(await shared.verify(signed, { body })).toMatchObject({ ok: true });
    expect(await shared.verify(signed, { body })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('does not let a forgery burn a genuine nonce (nonce exhaustion)', async () => {
    const genuine = await signRequest(post(), OLD, { now: at(NOW) });
    const forged = new Request(genuine.clone(), {
      headers: {
        ...Object.fromEntries(genuine.headers),
        signature: `sig1=:${btoa('x'.repeat(32))}:`,
      },
    });
    const shared = verifier();
    expect(await shared.verify(forged, { body: await bytes(forged) })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await shared.verify(genuine, { body: await bytes(genuine) })).toMatchObject({
      ok: true,
    });
  });

  it('claims the nonce for as long as the signature could be accepted', async () => {
    const claims: number[] = [];
    const replay: ReplayStore = { claim: async (_k, _n, ttlMs) => (claims.push(ttlMs), true) };
    await check(await signRequest(post(), OLD, { now: at(NOW) }), { replay });
    // expires (60 s) + skew (30 s), plus the second the timestamps are rounded to.
    expect(claims).toEqual([91_000]);
  });

  it('refuses, without throwing, when the replay store fails', async () => {
    const replay: ReplayStore = { claim: () => Promise.reject(new Error('ECONNRESET')) };
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    expect(await check(signed, { replay })).toEqual({ ok: false, reason: 'unavailable' });
  });
});

describe('malformed fields never throw', () => {
  const plain = () => new Request(URL_);

  it('reports a request with neither field as missing', async () => {
    expect(await check(plain())).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    { what: 'garbage in both', input: '(((', signature: ':::' },
    { what: 'garbage in Signature-Input', input: 'sig1=("@method"', signature: 'sig1=:AAAA:' },
    { what: 'no label in both', input: 'sig1=("@method")', signature: 'sig2=:AAAA:' },
    {
      what: 'Signature-Input not an Inner List',
      input: 'sig1="@method"',
      signature: 'sig1=:AAAA:',
    },
    { what: 'Signature not a Byte Sequence', input: 'sig1=("@method")', signature: 'sig1="AAAA"' },
    { what: 'Signature an Inner List', input: 'sig1=("@method")', signature: 'sig1=(:AAAA:)' },
    { what: 'binary junk', input: '\u0000\u0001', signature: '\u00ff' },
    {
      what: 'more than eight signatures',
      input: Array.from({ length: 9 }, (_, i) => `s${i}=()`).join(', '),
      signature: Array.from({ length: 9 }, (_, i) => `s${i}=:AAAA:`).join(', '),
    },
  ])('refuses $what as malformed', async ({ input, signature }) => {
    const headers = new Headers();
    // Headers refuses some bytes outright; what it lets through must not throw either.
    try {
      headers.set('signature-input', input);
      headers.set('signature', signature);
    } catch {
      return;
    }
    const request = new Request(URL_, { headers });
    expect(await check(request)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses one field without the other as malformed', async () => {
    const signed = await signRequest(plain(), OLD, { now: at(NOW) });
    const withoutSignature = new Request(signed);
    withoutSignature.headers.delete('signature');
    expect(await check(withoutSignature)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a key id of the wrong type', async () => {
    const headers = {
      'signature-input':
        'sig1=("@method" "@target-uri");created=1;expires=2;nonce="n";keyid=billing',
      signature: 'sig1=:AAAA:',
    };
    expect(await check(new Request(URL_, { headers }))).toEqual({ ok: false, reason: 'params' });
  });

  it('refuses a body that is not bytes, without throwing', async () => {
    const signed = await signRequest(post(), OLD, { now: at(NOW) });
    const body = 'not bytes' as unknown as Uint8Array;
    expect(await verifier().verify(signed, { body })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('survives a fuzz of header values with a verdict every time', async () => {
    const pieces = [
      'sig1',
      '=',
      '(',
      ')',
      '"@method"',
      ';',
      'created=1',
      ':AAAA:',
      ',',
      ' ',
      '?1',
      'keyid="billing"',
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const field = () =>
        Array.from({ length: next() % 12 }, () => pieces[next() % pieces.length]).join('');
      const headers = { 'signature-input': field(), signature: field() };
      const verdict = await check(new Request(URL_, { headers }));
      expect(verdict.ok).toBe(false);
    }
  });
});

describe('several signatures', () => {
  it('checks the first signature whose key id is known, ignoring a proxy signature before it', async () => {
    const ours = await signRequest(post(), OLD, { now: at(NOW), label: 'svc' });
    const headers = new Headers(ours.headers);
    headers.set(
      'signature-input',
      `proxy=("@method");created=1;keyid="edge-proxy";alg="ed25519", ${ours.headers.get('signature-input')}`,
    );
    headers.set('signature', `proxy=:AAAA:, ${ours.headers.get('signature')}`);
    const request = new Request(ours, { headers, body: BODY });
    expect(await check(request)).toMatchObject({ ok: true, label: 'svc' });
  });

  it('refuses when no signature names a known key', async () => {
    const headers = {
      'signature-input': 'a=("@method");keyid="x", b=("@method");keyid="y"',
      signature: 'a=:AAAA:, b=:AAAA:',
    };
    expect(await check(new Request(URL_, { headers }))).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
  });
});

describe('createSignatureVerifier options', () => {
  it.each([
    { maxAgeSeconds: 0 },
    { maxAgeSeconds: 1.5 },
    { clockSkewSeconds: -1 },
    { clockSkewSeconds: 301 },
    { keys: undefined },
    { replay: undefined },
  ])('refuses %o', (options) => {
    expect(() => verifier(options as Partial<SignatureVerifierOptions>)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
