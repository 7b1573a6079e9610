import { GatehouseError } from '../../errors.js';
import { systemClock, type Clock } from '../types.js';
import type { RefreshFamily, SessionStore, StoredRefreshToken, TokenRotation } from './store.js';
import {
  hashOpaqueToken,
  isOpaqueToken,
  newOpaqueToken,
  openSuccessor,
  sealSuccessor,
} from './tokens.js';
import type { RefreshOutcome, SessionManager, SessionSettings } from './types.js';

const DAY_SECONDS = 86_400;

/** The defaults: 30 days absolute, 7 days idle, 10 seconds of grace for parallel refreshes. */
export const defaultSessionSettings: SessionSettings = {
  absoluteLifetimeSeconds: 30 * DAY_SECONDS,
  idleTimeoutSeconds: 7 * DAY_SECONDS,
  reuseGraceSeconds: 10,
};

// Beyond a minute the window stops covering parallel tabs and starts covering a thief's replay.
const MAX_GRACE_SECONDS = 60;

const INVALID: RefreshOutcome = { kind: 'invalid' };

/**
 * Creates the refresh-session manager over a store. Throws `ERR_CONFIG_INVALID` for settings
 * that are not positive numbers, or a grace window above 60 seconds.
 *
 * @example
 * const sessions = createSessionManager(createSqlSessionStore(db));
 * const { token, expiresAt } = await sessions.start(user.id);
 */
export function createSessionManager(
  store: SessionStore,
  settings: Partial<SessionSettings> = {},
  clock: Clock = systemClock,
): SessionManager {
  const resolved = { ...defaultSessionSettings, ...settings };
  const lifetimeMs = milliseconds(resolved.absoluteLifetimeSeconds, 'absoluteLifetimeSeconds');
  const idleMs = milliseconds(resolved.idleTimeoutSeconds, 'idleTimeoutSeconds');
  const graceMs = milliseconds(resolved.reuseGraceSeconds, 'reuseGraceSeconds', true);
  if (resolved.reuseGraceSeconds > MAX_GRACE_SECONDS) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      `reuseGraceSeconds above ${MAX_GRACE_SECONDS} would let a stolen token be replayed unnoticed`,
    );
  }

  // Revocation is judged apart from the clock: revokeAll counts families that were live on time.
  const withinLifetime = (family: RefreshFamily, now: number): boolean =>
    now < family.expiresAt && now < family.lastUsedAt + idleMs;
  const isLive = (family: RefreshFamily, now: number): boolean =>
    family.revokedAt === undefined && withinLifetime(family, now);

  // A rotated token is still honoured briefly, but only while its successor is the current token:
  // once the successor has moved on, the old one can only be a replay.
  const inGrace = (rotation: TokenRotation, now: number): boolean =>
    rotation.successorIsCurrent && now - rotation.rotatedAt <= graceMs;

  const lookup = async (token: string): Promise<StoredRefreshToken | undefined> =>
    isOpaqueToken(token) ? store.findToken(await hashOpaqueToken(token)) : undefined;

  const rotated = (family: RefreshFamily, token: string): RefreshOutcome => ({
    kind: 'rotated',
    userId: family.userId,
    refresh: { token, familyId: family.id, expiresAt: family.expiresAt },
  });

  return {
    async start(userId) {
      if (typeof userId !== 'string' || userId === '') {
        throw new TypeError('start() needs the id of the user who logged in');
      }
      const now = clock();
      const token = newOpaqueToken();
      const family = {
        id: crypto.randomUUID(),
        userId,
        createdAt: now,
        expiresAt: now + lifetimeMs,
      };

      await store.createFamily(family, await hashOpaqueToken(token));
      return { token, familyId: family.id, expiresAt: family.expiresAt };
    },

    async refresh(token) {
      const now = clock();
      const found = await lookup(token);
      if (found === undefined || !isLive(found.family, now)) return INVALID;

      const { family } = found;
      let rotation = found.rotation;
      if (rotation === undefined) {
        const successor = newOpaqueToken();
        const result = await store.rotate({
          familyId: family.id,
          oldHash: found.hash,
          newHash: await hashOpaqueToken(successor),
          sealedSuccessor: await sealSuccessor(successor, token, family.id),
          now,
          expiresAt: family.expiresAt,
        });
        if (result.kind === 'rotated') return rotated(family, successor);
        if (result.kind === 'refused') return INVALID;
        // Another request rotated this token first: from here on it is a repeat like any other.
        rotation = result.rotation;
      }

      if (inGrace(rotation, now)) {
        const successor = await openSuccessor(rotation.sealedSuccessor, token, family.id);
        if (successor === undefined) {
          throw new GatehouseError('ERR_SESSION_STORE', 'A stored successor failed to open');
        }
        return rotated(family, successor);
      }

      // A rotated token came back too late. Thief and victim cannot be told apart, so the whole
      // family ends. Only the request that revoked it reports it, so a burst is one event.
      const revoked = await store.revokeFamily(family.id, 'reuse', now);
      if (revoked === undefined) return INVALID;
      return { kind: 'reuse_detected', userId: family.userId, familyId: family.id };
    },

    async revoke(token, reason) {
      const now = clock();
      const found = await lookup(token);
      if (found === undefined) return undefined;

      const revoked = await store.revokeFamily(found.family.id, reason, now);
      return revoked !== undefined && withinLifetime(revoked, now) ? revoked.userId : undefined;
    },

    async revokeAll(userId, reason, options = {}) {
      const now = clock();
      const revoked = await store.revokeUserFamilies(userId, reason, now, options.exceptFamilyId);
      return revoked.filter((family) => withinLifetime(family, now)).length;
    },

    async familyOf(token) {
      const now = clock();
      const found = await lookup(token);
      if (found === undefined || !isLive(found.family, now)) return undefined;
      if (found.rotation !== undefined && !inGrace(found.rotation, now)) return undefined;
      return found.family.id;
    },
  };
}

function milliseconds(seconds: number, name: string, zeroAllowed = false): number {
  if (!Number.isFinite(seconds) || seconds < 0 || (seconds === 0 && !zeroAllowed)) {
    throw new GatehouseError('ERR_CONFIG_INVALID', `${name} must be a positive number of seconds`);
  }
  return seconds * 1000;
}
