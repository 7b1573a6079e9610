import { beforeEach, describe, expect, it } from 'vitest';

import { createSessionManager } from './manager.js';
import { createMemorySessionStore, type MemorySessionStore } from './memory-store.js';
import { hashOpaqueToken, newOpaqueToken } from './tokens.js';
import type { RefreshOutcome, SessionManager } from './types.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const LOGIN = Date.UTC(2030, 0, 1);

let now: number;
let store: MemorySessionStore;
let sessions: SessionManager;

beforeEach(() => {
  now = LOGIN;
  store = createMemorySessionStore();
  sessions = createSessionManager(store, {}, () => now);
});

function successorOf(outcome: RefreshOutcome): string {
  if (outcome.kind !== 'rotated') throw new Error(`expected a rotation, got ${outcome.kind}`);
  return outcome.refresh.token;
}

describe('start', () => {
  it('issues a 256-bit base64url token for a new family ending 30 days later', async () => {
    const issued = await sessions.start('user-1');

    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(LOGIN + 30 * DAY);
    expect(await sessions.familyOf(issued.token)).toBe(issued.familyId);
  });

  it('refuses an empty user id as a caller bug', async () => {
    await expect(sessions.start('')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('refresh', () => {
  it('rotates to a new token in the same family, keeping the absolute expiry', async () => {
    const first = await sessions.start('user-1');
    now += 60 * SECOND;

    const outcome = await sessions.refresh(first.token);
    expect(outcome).toEqual({
      kind: 'rotated',
      userId: 'user-1',
      refresh: { token: expect.any(String), familyId: first.familyId, expiresAt: first.expiresAt },
    });
    expect(successorOf(outcome)).not.toBe(first.token);
    expect(successorOf(await sessions.refresh(successorOf(outcome)))).toMatch(/^[\w-]{43}$/);
  });

  it('answers a repeat within the grace window with the byte-identical successor', async () => {
    const { token } = await sessions.start('user-1');
    const successor = successorOf(await sessions.refresh(token));
    now += 10 * SECOND; // the window's last millisecond still counts

    expect(successorOf(await sessions.refresh(token))).toBe(successor);
    expect(successorOf(await sessions.refresh(token))).toBe(successor);
    expect(await sessions.familyOf(token)).toBeDefined();
  });

  it('gives parallel refreshes of one token one successor', async () => {
    const { token } = await sessions.start('user-1');
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => sessions.refresh(token)));

    expect(new Set(outcomes.map(successorOf)).size).toBe(1);
    const live = Object.values(store.dump().tokens).filter((row) => row.rotatedAt === undefined);
    expect(live).toHaveLength(1);
  });

  it('treats a repeat after the grace window as reuse and ends the family', async () => {
    const { token, familyId } = await sessions.start('user-1');
    const successor = successorOf(await sessions.refresh(token));
    now += 10 * SECOND + 1;

    expect(await sessions.refresh(token)).toEqual({
      kind: 'reuse_detected',
      userId: 'user-1',
      familyId,
    });
    expect(store.dump().families[familyId]).toMatchObject({
      revokedAt: now,
      revokeReason: 'reuse',
    });
    expect(await sessions.refresh(successor)).toEqual({ kind: 'invalid' });
    expect(await sessions.refresh(token)).toEqual({ kind: 'invalid' });
  });

  it('reports a burst of reuse once, so the caller records one security event', async () => {
    const { token } = await sessions.start('user-1');
    await sessions.refresh(token);
    now += 11 * SECOND;

    const outcomes = await Promise.all(Array.from({ length: 5 }, () => sessions.refresh(token)));
    const kinds = outcomes.map((outcome) => outcome.kind).sort();
    expect(kinds).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'reuse_detected']);
  });

  it('follows a chain of successors; a token whose successor moved on is reuse', async () => {
    const { token: t0 } = await sessions.start('user-1');
    const t1 = successorOf(await sessions.refresh(t0));
    now += 2 * SECOND;
    const t2 = successorOf(await sessions.refresh(t1));
    now += 2 * SECOND;

    // t1 is within its own window and its successor t2 is current: the same t2 again.
    expect(successorOf(await sessions.refresh(t1))).toBe(t2);
    // t0 is within ten seconds of its rotation, but its successor t1 has been rotated since.
    expect(await sessions.refresh(t0)).toMatchObject({ kind: 'reuse_detected' });
    expect(await sessions.refresh(t2)).toEqual({ kind: 'invalid' });
  });

  it('ends a family 30 days after login however often it is refreshed', async () => {
    let { token } = await sessions.start('user-1');
    for (let day = 1; day < 30; day++) {
      now = LOGIN + day * DAY;
      token = successorOf(await sessions.refresh(token));
    }

    now = LOGIN + 30 * DAY;
    expect(await sessions.refresh(token)).toEqual({ kind: 'invalid' });
    expect(await sessions.familyOf(token)).toBeUndefined();
  });

  it('ends a family idle for 7 days, and each refresh restarts the idle clock', async () => {
    const { token } = await sessions.start('user-1');
    now += 7 * DAY - 1;
    const next = successorOf(await sessions.refresh(token));

    now += 7 * DAY - 1;
    const last = successorOf(await sessions.refresh(next));
    now += 7 * DAY;
    expect(await sessions.refresh(last)).toEqual({ kind: 'invalid' });
  });

  it.each([
    ['an empty string', ''],
    ['a short string', 'abc'],
    ['a token with a character appended', `${newOpaqueToken()}A`],
    ['a token in standard base64', newOpaqueToken().replace(/^./, '+')],
    ['an unknown token', newOpaqueToken()],
  ])('answers invalid for %s', async (_name, token) => {
    expect(await sessions.refresh(token)).toEqual({ kind: 'invalid' });
  });
});

describe('revocation', () => {
  it('revokes the family of a token on logout and returns its user once', async () => {
    const { token } = await sessions.start('user-1');
    const successor = successorOf(await sessions.refresh(token));

    expect(await sessions.revoke(successor, 'logout')).toBe('user-1');
    expect(await sessions.refresh(successor)).toEqual({ kind: 'invalid' });
    expect(await sessions.revoke(successor, 'logout')).toBeUndefined();
    expect(await sessions.revoke(newOpaqueToken(), 'logout')).toBeUndefined();
  });

  it('revokes all families of a user but the one kept, and counts only live ones', async () => {
    const idle = await sessions.start('user-1');
    const stranger = await sessions.start('user-2');
    now += 8 * DAY; // idle's family has been idle too long by now
    const kept = await sessions.start('user-1');
    const other = await sessions.start('user-1');

    expect(
      await sessions.revokeAll('user-1', 'password_change', { exceptFamilyId: kept.familyId }),
    ).toBe(1);
    expect(await sessions.refresh(other.token)).toEqual({ kind: 'invalid' });
    expect(store.dump().families[other.familyId]?.revokeReason).toBe('password_change');
    expect(store.dump().families[idle.familyId]?.revokeReason).toBe('password_change');
    expect(store.dump().families[stranger.familyId]?.revokedAt).toBeUndefined();

    expect(await sessions.refresh(kept.token)).toMatchObject({ kind: 'rotated' });
    expect(await sessions.revokeAll('user-1', 'admin')).toBe(1);
  });

  it('does not revoke anything when asked for the family of a replayed token', async () => {
    const { token, familyId } = await sessions.start('user-1');
    await sessions.refresh(token);
    now += 11 * SECOND;

    expect(await sessions.familyOf(token)).toBeUndefined();
    expect(store.dump().families[familyId]?.revokedAt).toBeUndefined();
  });
});

describe('storage', () => {
  it('keeps tokens only as SHA-256 hashes', async () => {
    const { token } = await sessions.start('user-1');
    const successor = successorOf(await sessions.refresh(token));

    const stored = JSON.stringify(store.dump());
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(successor);
    expect(Object.keys(store.dump().tokens).sort()).toEqual(
      [await hashOpaqueToken(token), await hashOpaqueToken(successor)].sort(),
    );
  });
});

describe('settings', () => {
  it.each([
    [{ absoluteLifetimeSeconds: 0 }],
    [{ idleTimeoutSeconds: Number.NaN }],
    [{ reuseGraceSeconds: -1 }],
    [{ reuseGraceSeconds: 61 }],
  ])('refuses %j with ERR_CONFIG_INVALID', (settings) => {
    expect(() => createSessionManager(store, settings)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
