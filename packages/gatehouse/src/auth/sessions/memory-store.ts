/**
 * An in-process session store for unit tests. Each operation runs without awaiting, so it is
 * atomic within one process; it is not exported, because state in one process's memory is lost
 * on restart and invisible to other instances (the embedded default is the SQLite store).
 * @module
 */
import type { RefreshFamily, SessionStore, StoredRefreshToken, TokenRotation } from './store.js';

/** A token row as the memory store keeps it. */
export interface TokenRow {
  readonly familyId: string;
  rotatedAt: number | undefined;
  successorHash: string | undefined;
  sealedSuccessor: string | undefined;
}

/** The test store plus a view of everything it holds, to check what is (not) stored. */
export interface MemorySessionStore extends SessionStore {
  /** Every family and token row as stored, keyed by id and hash. */
  dump(): { families: Record<string, RefreshFamily>; tokens: Record<string, TokenRow> };
}

/** Creates an empty in-memory store. */
export function createMemorySessionStore(): MemorySessionStore {
  const families = new Map<string, RefreshFamily>();
  const tokens = new Map<string, TokenRow>();

  const rotationOf = (row: TokenRow): TokenRotation | undefined => {
    if (row.rotatedAt === undefined || row.sealedSuccessor === undefined) return undefined;
    const successor = row.successorHash === undefined ? undefined : tokens.get(row.successorHash);
    return {
      rotatedAt: row.rotatedAt,
      sealedSuccessor: row.sealedSuccessor,
      successorIsCurrent: successor !== undefined && successor.rotatedAt === undefined,
    };
  };

  const revoke = (family: RefreshFamily, reason: RefreshFamily['revokeReason'], now: number) => {
    const revoked = { ...family, revokedAt: now, revokeReason: reason };
    families.set(family.id, revoked);
    return revoked;
  };

  return {
    async createFamily(family, tokenHash) {
      families.set(family.id, {
        ...family,
        lastUsedAt: family.createdAt,
        revokedAt: undefined,
        revokeReason: undefined,
      });
      tokens.set(tokenHash, {
        familyId: family.id,
        rotatedAt: undefined,
        successorHash: undefined,
        sealedSuccessor: undefined,
      });
    },

    async findToken(hash): Promise<StoredRefreshToken | undefined> {
      const row = tokens.get(hash);
      const family = row === undefined ? undefined : families.get(row.familyId);
      if (row === undefined || family === undefined) return undefined;
      return { hash, family, rotation: rotationOf(row) };
    },

    async rotate({ familyId, oldHash, newHash, sealedSuccessor, now }) {
      const family = families.get(familyId);
      const row = tokens.get(oldHash);
      if (family === undefined || family.revokedAt !== undefined) return { kind: 'refused' };
      if (row === undefined || row.familyId !== familyId) return { kind: 'refused' };

      const rotation = rotationOf(row);
      if (rotation !== undefined) return { kind: 'lost', rotation };

      Object.assign(row, { rotatedAt: now, successorHash: newHash, sealedSuccessor });
      tokens.set(newHash, {
        familyId,
        rotatedAt: undefined,
        successorHash: undefined,
        sealedSuccessor: undefined,
      });
      families.set(familyId, { ...family, lastUsedAt: Math.max(family.lastUsedAt, now) });
      return { kind: 'rotated' };
    },

    async revokeFamily(familyId, reason, now) {
      const family = families.get(familyId);
      if (family === undefined || family.revokedAt !== undefined) return undefined;
      return revoke(family, reason, now);
    },

    async revokeUserFamilies(userId, reason, now, exceptFamilyId) {
      const chosen = [...families.values()].filter(
        (family) =>
          family.userId === userId &&
          family.revokedAt === undefined &&
          family.expiresAt > now &&
          family.id !== exceptFamilyId,
      );
      return chosen.map((family) => revoke(family, reason, now));
    },

    dump: () => ({
      families: Object.fromEntries(families),
      tokens: Object.fromEntries([...tokens].map(([hash, row]) => [hash, { ...row }])),
    }),
  };
}
