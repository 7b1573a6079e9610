import { describe, expect, it } from 'vitest';

import { createPasswordHasher } from './passwords.js';

const hasher = createPasswordHasher();

describe('password hashing (Argon2id)', () => {
  it('stores PHC strings with at least the OWASP parameters', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(hash, 'correct horse battery staple')).toEqual({
      valid: true,
      rehash: false,
    });
    expect(await hasher.verify(hash, 'Correct horse battery staple')).toEqual({
      valid: false,
      rehash: false,
    });
  });

  it('asks for a rehash when the stored parameters differ from the current ones', async () => {
    const stronger = createPasswordHasher({ memoryCost: 24_576 });
    const hash = await hasher.hash('correct horse battery staple');

    expect(await stronger.verify(hash, 'correct horse battery staple')).toEqual({
      valid: true,
      rehash: true,
    });
    expect((await stronger.hash('x'.repeat(12))).includes('m=24576')).toBe(true);
  });

  it('treats a malformed stored hash as a failed verification, not an error', async () => {
    expect(await hasher.verify('not a hash', 'whatever')).toEqual({ valid: false, rehash: false });
    expect(await hasher.verify('$argon2id$v=19$m=1,t=1,p=1$$', 'whatever')).toEqual({
      valid: false,
      rehash: false,
    });
  });

  it('spends a verification on unknown accounts and always answers false', async () => {
    expect(await hasher.verifyNothing('anything at all')).toBe(false);
  });

  it('refuses parameters below the OWASP minimum', () => {
    expect(() => createPasswordHasher({ memoryCost: 4096 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ timeCost: 1 })).toThrow(RangeError);
  });
});
