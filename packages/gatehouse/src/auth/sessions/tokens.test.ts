import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';

import {
  hashOpaqueToken,
  isOpaqueToken,
  newOpaqueToken,
  openSuccessor,
  sealSuccessor,
} from './tokens.js';

describe('refresh tokens', () => {
  it('are 32 random bytes in 43 base64url characters, never repeated', () => {
    const tokens = Array.from({ length: 200 }, newOpaqueToken);

    expect(new Set(tokens).size).toBe(200);
    for (const token of tokens) {
      expect(isOpaqueToken(token)).toBe(true);
      expect(base64url.decode(token)).toHaveLength(32);
    }
  });

  it('hash to SHA-256 of their bytes (vector: sha256sum of 32 zero bytes)', async () => {
    const zeros = base64url.encode(new Uint8Array(32));
    const expected = '66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925';

    expect(Buffer.from(base64url.decode(await hashOpaqueToken(zeros))).toString('hex')).toBe(
      expected,
    );
  });

  it('refuse a last character that would carry bits beyond 256', () => {
    const token = newOpaqueToken();
    expect(isOpaqueToken(`${token.slice(0, 42)}B`)).toBe(false);
  });
});

describe('sealed successors', () => {
  it('open with the token they replace, in the family they were sealed for', async () => {
    const [old, successor] = [newOpaqueToken(), newOpaqueToken()];
    const sealed = await sealSuccessor(successor, old, 'family-1');

    // A 12-byte IV, then 32 bytes of ciphertext and a 16-byte GCM tag.
    expect(base64url.decode(sealed)).toHaveLength(60);
    expect(sealed).not.toContain(successor);
    expect(await openSuccessor(sealed, old, 'family-1')).toBe(successor);
  });

  it('do not open with another token, in another family, or when tampered with', async () => {
    const [old, successor] = [newOpaqueToken(), newOpaqueToken()];
    const sealed = await sealSuccessor(successor, old, 'family-1');
    const bytes = base64url.decode(sealed);
    bytes[20] = (bytes[20] ?? 0) ^ 1;

    expect(await openSuccessor(sealed, newOpaqueToken(), 'family-1')).toBeUndefined();
    expect(await openSuccessor(sealed, successor, 'family-1')).toBeUndefined();
    expect(await openSuccessor(sealed, old, 'family-2')).toBeUndefined();
    expect(await openSuccessor(base64url.encode(bytes), old, 'family-1')).toBeUndefined();
    expect(await openSuccessor('not base64url!', old, 'family-1')).toBeUndefined();
  });

  it('use a fresh IV each time, so one successor never seals to the same bytes twice', async () => {
    const [old, successor] = [newOpaqueToken(), newOpaqueToken()];
    const first = await sealSuccessor(successor, old, 'family-1');
    expect(await sealSuccessor(successor, old, 'family-1')).not.toBe(first);
  });
});
