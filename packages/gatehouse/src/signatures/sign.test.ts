import { parseDictionary, type InnerList } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { createSignatureBase } from './base.js';
import { hmacVerify } from './hmac.js';
import { createSignatureNonce, signRequest } from './sign.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const KEY = { id: 'billing-2025-06', secret: new Uint8Array(32).fill(7) };
const clock = () => NOW;

const post = (body: string | Uint8Array<ArrayBuffer> = '{"units":3}') =>
  new Request('https://api.example/internal/usage?day=2025-06-01', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

const inputOf = (request: Request, label = 'sig1') =>
  parseDictionary(request.headers.get('signature-input') ?? '').get(label) as InnerList;
const names = (input: InnerList) => input[0].map(([name]) => name);

describe('signRequest', () => {
  it('covers method, target URI, content type and digest of a request with a body', async () => {
    const signed = await signRequest(post(), KEY, { now: clock });
    const input = inputOf(signed);

    expect(names(input)).toEqual(['@method', '@target-uri', 'content-type', 'content-digest']);
    expect(signed.headers.get('content-digest')).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/);
    expect(Object.fromEntries(input[1])).toEqual({
      created: NOW / 1000,
      expires: NOW / 1000 + 60,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      keyid: 'billing-2025-06',
      alg: 'hmac-sha256',
    });
  });

  it('produces a signature that verifies over the rebuilt base', async () => {
    const signed = await signRequest(post(), KEY, { now: clock });
    const base = createSignatureBase(signed, inputOf(signed));
    const value = parseDictionary(signed.headers.get('signature') ?? '').get('sig1');

    expect(base.ok).toBe(true);
    expect(value?.[0]).toBeInstanceOf(ArrayBuffer);
    const signature = new Uint8Array(value?.[0] as ArrayBuffer);
    expect(await hmacVerify([KEY.secret], base.ok ? base.base : '', signature)).toBe(true);
  });

  it('covers only method and target URI without a body, and adds no digest', async () => {
    const signed = await signRequest(new Request('https://api.example/internal/health'), KEY);
    expect(names(inputOf(signed))).toEqual(['@method', '@target-uri']);
    expect(signed.headers.has('content-digest')).toBe(false);
  });

  it('reads the body from a clone: the caller can still read its request', async () => {
    const request = post('{"units":3}');
    const signed = await signRequest(request, KEY);

    expect(request.bodyUsed).toBe(false);
    expect(await request.text()).toBe('{"units":3}');
    expect(await signed.text()).toBe('{"units":3}');
    expect(request.headers.has('signature')).toBe(false);
  });

  it('keeps the method, URL and other headers', async () => {
    const request = new Request('https://api.example/internal/x', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'r-1' },
      body: new Uint8Array([1, 2, 3]),
    });
    const signed = await signRequest(request, KEY);
    expect([signed.method, signed.url, signed.headers.get('x-request-id')]).toEqual([
      'PUT',
      'https://api.example/internal/x',
      'r-1',
    ]);
  });

  it('takes a label, a lifetime and a sha-512 digest', async () => {
    const signed = await signRequest(post(), KEY, {
      label: 'internal',
      expiresInSeconds: 30,
      digest: 'sha-512',
      now: clock,
    });
    expect(inputOf(signed, 'internal')[1].get('expires')).toBe(NOW / 1000 + 30);
    expect(signed.headers.get('signature')).toMatch(/^internal=:/);
    expect(signed.headers.get('content-digest')).toMatch(/^sha-512=:/);
  });

  it('makes a fresh nonce for every signature', async () => {
    const nonces = new Set<unknown>();
    for (let i = 0; i < 50; i++) {
      nonces.add(inputOf(await signRequest(post(), KEY))[1].get('nonce'));
    }
    expect(nonces.size).toBe(50);
  });

  it('refuses a secret shorter than 32 bytes (weak key)', async () => {
    const weak = { id: 'k', secret: new Uint8Array(31).fill(1) };
    await expect(signRequest(post(), weak)).rejects.toMatchObject({
      name: 'GatehouseError',
      code: 'ERR_KEY_INVALID',
    });
  });

  it.each(['', 'k\u00e9y', 'x'.repeat(257)])('refuses the key id %j', async (id) => {
    await expect(signRequest(post(), { ...KEY, id })).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
  });

  it('refuses a body without a Content-Type rather than leave it uncovered', async () => {
    const untyped = new Request('https://api.example/x', {
      method: 'POST',
      body: new Uint8Array([1]),
    });
    await expect(signRequest(untyped, KEY)).rejects.toThrow(TypeError);
  });

  it('refuses bad options', async () => {
    for (const options of [
      { label: 'Not A Key' },
      { expiresInSeconds: 0 },
      { expiresInSeconds: 1.5 },
    ]) {
      await expect(signRequest(post(), KEY, options)).rejects.toBeInstanceOf(GatehouseError);
    }
  });
});

describe('createSignatureNonce', () => {
  it('is 128 bits in unpadded base64url', () => {
    const nonce = createSignatureNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const standard = nonce.replaceAll('-', '+').replaceAll('_', '/');
    expect(atob(`${standard}==`)).toHaveLength(16);
  });
});
