import { describe, expect, it } from 'vitest';

import { contentDigest, verifyContentDigest } from './digest.js';

const HELLO = new TextEncoder().encode('{"hello": "world"}');
// RFC 9530 Appendix B.1 (sha-256) and the Content-Digest of RFC 9421's test-request (sha-512).
const HELLO_SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
const HELLO_SHA512 =
  'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:';

describe('contentDigest', () => {
  it('reproduces the RFC 9530 sha-256 vector, and is sha-256 by default', async () => {
    expect(await contentDigest(HELLO, 'sha-256')).toBe(HELLO_SHA256);
    expect(await contentDigest(HELLO)).toBe(HELLO_SHA256);
  });

  it('reproduces the sha-512 vector', async () => {
    expect(await contentDigest(HELLO, 'sha-512')).toBe(HELLO_SHA512);
  });

  it('digests an empty body', async () => {
    expect(await contentDigest(new Uint8Array())).toBe(
      'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
    );
  });

  it('refuses an algorithm it does not offer', async () => {
    await expect(contentDigest(HELLO, 'md5' as 'sha-256')).rejects.toThrow(TypeError);
  });
});

describe('verifyContentDigest', () => {
  it('accepts the vectors, one algorithm or both', async () => {
    expect(await verifyContentDigest(HELLO_SHA256, HELLO)).toEqual({
      ok: true,
      algorithms: ['sha-256'],
    });
    expect(await verifyContentDigest(`${HELLO_SHA512}, ${HELLO_SHA256}`, HELLO)).toEqual({
      ok: true,
      algorithms: ['sha-512', 'sha-256'],
    });
  });

  it('recomputes from the bytes received: a swapped body is a mismatch', async () => {
    const swapped = new TextEncoder().encode('{"hello": "mallory"}');
    expect(await verifyContentDigest(HELLO_SHA256, swapped)).toEqual({
      ok: false,
      problem: 'mismatch',
    });
  });

  it('refuses when one of several digests mismatches, whatever the order', async () => {
    const wrong512 = `sha-512=:${btoa('x'.repeat(64))}:`;
    for (const header of [`${HELLO_SHA256}, ${wrong512}`, `${wrong512}, ${HELLO_SHA256}`]) {
      expect(await verifyContentDigest(header, HELLO)).toEqual({ ok: false, problem: 'mismatch' });
    }
  });

  it('refuses weak or unknown algorithms, alone or beside a good digest (downgrade)', async () => {
    const md5 = 'md5=:+uQTh0D6WnBE/5ZXqb3N7w==:';
    const sha = 'sha=:Cm0k0U1+xUMXq2UgjDi7w1xKBSg=:';
    for (const header of [md5, sha, `${HELLO_SHA256}, ${md5}`, 'unixsum=:AAAA:']) {
      expect(await verifyContentDigest(header, HELLO)).toEqual({
        ok: false,
        problem: 'unsupported',
      });
    }
  });

  it('refuses an absent, empty or unparseable field, or a digest that is not a Byte Sequence', async () => {
    for (const header of [
      null,
      undefined,
      '',
      'sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=',
      'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',
      'sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)',
      'sha-256=:not base64:',
      ':::',
      'sha-256',
    ]) {
      expect(await verifyContentDigest(header, HELLO)).toEqual({
        ok: false,
        problem: 'malformed',
      });
    }
  });
});
