import { describe, expect, it } from 'vitest';

import { createCsp, NONCE } from './csp.js';
import { createNonce } from './nonce.js';

const STANDARD_BASE64_OF_16_BYTES = /^[A-Za-z0-9+/]{22}==$/;

describe('createNonce', () => {
  it('is 16 bytes in standard, padded base64', () => {
    for (let i = 0; i < 1000; i++) {
      const nonce = createNonce();
      expect(nonce).toMatch(STANDARD_BASE64_OF_16_BYTES);
      expect(Uint8Array.from(atob(nonce), (c) => c.charCodeAt(0))).toHaveLength(16);
    }
  });

  it('never repeats over many calls', () => {
    const seen = new Set(Array.from({ length: 20_000 }, () => createNonce()));
    expect(seen.size).toBe(20_000);
  });

  it('uses the whole alphabet, not a fixed prefix', () => {
    const firstCharacters = new Set(Array.from({ length: 2000 }, () => createNonce()[0]));
    expect(firstCharacters.size).toBeGreaterThan(50);
  });

  it('is accepted by a policy with the NONCE marker', () => {
    const policy = createCsp({ 'default-src': ["'self'"], 'script-src': [NONCE] });
    const nonce = createNonce();
    expect(policy.serialize(nonce)).toBe(`default-src 'self'; script-src 'nonce-${nonce}'`);
  });
});
