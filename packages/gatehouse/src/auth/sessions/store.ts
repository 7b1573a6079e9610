/**
 * The storage surface of refresh sessions. Stores hold atomic operations only; every decision
 * (expiry, grace window, reuse) is the manager's, so each store is small and tested by one suite.
 * @module
 */
import type { RevokeReason } from './types.js';

/** A refresh family as stored: one login, every token rotated from it. Times are ms. */
export interface RefreshFamily {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  /** Absolute expiry; stores that can expire data (Redis) drop the family then. */
  readonly expiresAt: number;
  /** Last successful rotation, or `createdAt`; the idle timeout counts from here. */
  readonly lastUsedAt: number;
  readonly revokedAt: number | undefined;
  readonly revokeReason: RevokeReason | undefined;
}

/** What happened to a token that has been rotated. */
export interface TokenRotation {
  readonly rotatedAt: number;
  /** The successor token, AES-GCM sealed under a key only the rotated token derives. */
  readonly sealedSuccessor: string;
  /** Whether the successor is still the family's current token (not itself rotated). */
  readonly successorIsCurrent: boolean;
}

/** A stored token (by hash), with its family. */
export interface StoredRefreshToken {
  readonly hash: string;
  readonly family: RefreshFamily;
  /** Absent while the token is the family's current one. */
  readonly rotation: TokenRotation | undefined;
}

/** One rotation, applied by `SessionStore.rotate` as a single compare-and-set. */
export interface RotationRequest {
  readonly familyId: string;
  readonly oldHash: string;
  readonly newHash: string;
  readonly sealedSuccessor: string;
  readonly now: number;
  /** The family's absolute expiry, for stores that expire the successor's keys. */
  readonly expiresAt: number;
}

/**
 * What `rotate` did. The loser of a race learns the winner's rotation, so it can hand out the
 * same successor; `refused` means the family was revoked (or the token is gone) meanwhile.
 */
export type RotationResult =
  | { readonly kind: 'rotated' }
  | { readonly kind: 'lost'; readonly rotation: TokenRotation }
  | { readonly kind: 'refused' };

/** Where refresh families live: `createSqlSessionStore` or `createRedisSessionStore`. */
export interface SessionStore {
  /** Stores a new family, last used at `createdAt`, with its first token. */
  createFamily(
    family: Pick<RefreshFamily, 'id' | 'userId' | 'createdAt' | 'expiresAt'>,
    tokenHash: string,
  ): Promise<void>;

  /** The token with this hash and its family, or undefined when unknown. */
  findToken(hash: string): Promise<StoredRefreshToken | undefined>;

  /**
   * Atomically, and only if the family is not revoked and the old token not yet rotated: marks
   * the old token rotated with its sealed successor, stores the successor as the current token,
   * and moves the family's `lastUsedAt` forward to `now`. Safe across processes sharing a store.
   */
  rotate(request: RotationRequest): Promise<RotationResult>;

  /** Revokes a family not revoked yet and returns it, or undefined when nothing changed. */
  revokeFamily(
    familyId: string,
    reason: RevokeReason,
    now: number,
  ): Promise<RefreshFamily | undefined>;

  /**
   * Revokes a user's families that are neither revoked nor past `expiresAt`, except one; returns
   * those it revoked.
   */
  revokeUserFamilies(
    userId: string,
    reason: RevokeReason,
    now: number,
    exceptFamilyId?: string,
  ): Promise<RefreshFamily[]>;
}
