import argon2 from 'argon2';

/**
 * Password hashing with Argon2id (RFC 9106), in PHC string format. The parameters meet the OWASP
 * Password Storage Cheat Sheet's minimum for Argon2id (19 MiB, 2 passes, 1 lane); a stored hash
 * with weaker parameters is flagged for rehashing at the next successful login.
 * @module
 */

export interface PasswordHashing {
  /** Memory in KiB. @default 19456 */
  readonly memoryCost: number;
  /** Passes over memory. @default 2 */
  readonly timeCost: number;
  /** Lanes. @default 1 */
  readonly parallelism: number;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const DEFAULTS: PasswordHashing = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored hash; `rehash` is true when the hash was made with other
   * parameters than the current ones. A malformed stored hash verifies as false.
   */
  verify(hash: string, password: string): Promise<{ valid: boolean; rehash: boolean }>;
  /**
   * Spends the time of one verification and answers false: for unknown accounts, so that their
   * responses take as long as those of known ones.
   */
  verifyNothing(password: string): Promise<false>;
}

/** Creates a hasher; parameters below the OWASP minimum are refused. */
export function createPasswordHasher(options: Partial<PasswordHashing> = {}): PasswordHasher {
  const params = { ...DEFAULTS, ...options };
  if (params.memoryCost < DEFAULTS.memoryCost || params.timeCost < DEFAULTS.timeCost) {
    throw new RangeError('Argon2id parameters below the OWASP minimum (19456 KiB, t=2)');
  }

  const hashOptions = { type: argon2.argon2id, ...params } as const;
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => argon2.hash(password, hashOptions),

    async verify(hash, password) {
      try {
        const valid = await argon2.verify(hash, password);
        return { valid, rehash: valid && argon2.needsRehash(hash, params) };
      } catch {
        return { valid: false, rehash: false };
      }
    },

    async verifyNothing(password) {
      dummy ??= argon2.hash('gatehouse dummy password for timing', hashOptions);
      await argon2.verify(await dummy, password).catch(() => false);
      return false;
    },
  };
}
