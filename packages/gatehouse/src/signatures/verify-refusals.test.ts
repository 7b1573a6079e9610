import { type BareItem } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { type ReplayStore } from './replay.js';
import { signRequest } from './sign.js';
import {
  ALL,
  at,
  BODY,
  bytes,
  check,
  NEW,
  NOW,
  NOW_S,
  OLD,
  PARAMS,
  post,
  signWith,
  URL_,
  verifier,
} from './test/signed.js';
import { type SignatureVerifierOptions } from './verify.js';

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
