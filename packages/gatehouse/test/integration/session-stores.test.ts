import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { migrate, openPostgres, openSqlite, type SqlClient } from 'gatehouse/sql';
import {
  createRedisSessionStore,
  createSessionManager,
  createSqlSessionStore,
  sessionMigrations,
  type RefreshOutcome,
  type SessionManager,
  type SessionStore,
} from '../../src/auth/sessions/index.js';
import { hashOpaqueToken, newOpaqueToken, openSuccessor } from '../../src/auth/sessions/tokens.js';
import { createTestDatabase } from '../support/postgres.js';

/** One store backend: stores on separate clients, and a look at everything it holds. */
interface Backend {
  /** A store on a client of its own, as a second app instance would have. */
  store(): Promise<SessionStore>;
  /** Every row or key and value, to check no token is stored in plain text. */
  dump(): Promise<string>;
  /** How many tokens of a family have not been rotated. */
  liveTokens(familyId: string): Promise<number>;
  close(): Promise<void>;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;

async function sqlBackend(open: () => SqlClient, drop: () => Promise<void>): Promise<Backend> {
  const clients: SqlClient[] = [];
  const db = open();
  clients.push(db);
  await migrate(db, sessionMigrations);
  return {
    store: async () => {
      const client = open();
      clients.push(client);
      return createSqlSessionStore(client);
    },
    dump: async () =>
      JSON.stringify([
        await db.query('SELECT * FROM refresh_families'),
        await db.query('SELECT * FROM refresh_tokens'),
      ]),
    liveTokens: async (familyId) => {
      const [row] = await db.query<{ n: unknown }>(
        'SELECT count(*) AS n FROM refresh_tokens WHERE family_id = $1 AND rotated_at IS NULL',
        [familyId],
      );
      return Number(row?.n);
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await drop();
    },
  };
}

async function redisBackend(): Promise<Backend> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `gh:sess:test:${randomBytes(6).toString('hex')}:`;
  const admin = createClient({ url });
  await admin.connect();
  const clients = [admin];
  const keys = async (pattern: string) => {
    const found: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      found.push(...batch);
    }
    return found;
  };

  return {
    store: async () => {
      const client = createClient({ url });
      clients.push(client);
      await client.connect();
      return createRedisSessionStore(client, { prefix });
    },
    dump: async () => {
      const entries = [];
      for (const key of await keys(`${prefix}*`)) {
        const type = await admin.type(key);
        if (type === 'hash') entries.push([key, await admin.hGetAll(key)]);
        else if (type === 'zset') entries.push([key, await admin.zRange(key, 0, -1)]);
        else entries.push([key, await admin.get(key)]);
      }
      return JSON.stringify(entries);
    },
    liveTokens: async (familyId) => {
      let live = 0;
      for (const key of await keys(`${prefix}{${familyId}}:token:*`)) {
        if (!(await admin.hExists(key, 'rotated'))) live++;
      }
      return live;
    },
    close: async () => {
      const left = await keys(`${prefix}*`);
      if (left.length > 0) await admin.del(left);
      clients.forEach((client) => client.destroy());
    },
  };
}

const backends = [
  {
    name: 'sqlite',
    create: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sessions-'));
      const file = join(dir, 'app.db');
      return sqlBackend(
        () => openSqlite(file),
        () => rm(dir, { recursive: true, force: true }),
      );
    },
  },
  {
    name: 'postgres',
    create: async () => {
      const database = await createTestDatabase();
      return sqlBackend(() => openPostgres(database.url), database.drop);
    },
  },
  { name: 'redis', create: redisBackend },
];

function successorOf(outcome: RefreshOutcome | undefined): string {
  if (outcome?.kind !== 'rotated') throw new Error(`expected a rotation, got ${outcome?.kind}`);
  return outcome.refresh.token;
}

describe.each(backends)('refresh sessions on $name', ({ create }) => {
  let backend: Backend;
  let store: SessionStore;
  let sessions: SessionManager;
  // Redis expires keys on its own clock, so the test clock starts at the real time.
  let now: number;
  const clock = () => now;

  beforeAll(async () => {
    backend = await create();
    store = await backend.store();
    sessions = createSessionManager(store, {}, clock);
  });
  afterAll(() => backend.close());
  beforeEach(() => {
    now = Date.now();
  });

  it('rotates a token and keeps only hashes, with times as numbers', async () => {
    const first = await sessions.start('user-rotate');
    now += SECOND;
    const second = successorOf(await sessions.refresh(first.token));
    const third = successorOf(await sessions.refresh(second));

    const stored = await store.findToken(await hashOpaqueToken(second));
    expect(stored?.family).toEqual({
      id: first.familyId,
      userId: 'user-rotate',
      createdAt: now - SECOND,
      expiresAt: first.expiresAt,
      lastUsedAt: now,
      revokedAt: undefined,
      revokeReason: undefined,
    });
    expect(stored?.rotation).toMatchObject({ rotatedAt: now, successorIsCurrent: true });

    const dump = await backend.dump();
    for (const token of [first.token, second, third]) {
      expect(dump).not.toContain(token);
      expect(dump).toContain(await hashOpaqueToken(token));
    }
  });

  it('seals each successor so only the token it replaced opens it', async () => {
    const { token, familyId } = await sessions.start('user-seal');
    const successor = successorOf(await sessions.refresh(token));

    const stored = await store.findToken(await hashOpaqueToken(token));
    const sealed = stored?.rotation?.sealedSuccessor ?? '';
    expect(await openSuccessor(sealed, token, familyId)).toBe(successor);
    expect(await openSuccessor(sealed, newOpaqueToken(), familyId)).toBeUndefined();
    expect(await openSuccessor(sealed, successor, familyId)).toBeUndefined();
  });

  it('gives the same successor within the grace window and ends the family after it', async () => {
    const { token, familyId } = await sessions.start('user-grace');
    const successor = successorOf(await sessions.refresh(token));
    now += 10 * SECOND;
    expect(successorOf(await sessions.refresh(token))).toBe(successor);

    now += 1;
    expect(await sessions.refresh(token)).toEqual({
      kind: 'reuse_detected',
      userId: 'user-grace',
      familyId,
    });
    expect(await sessions.refresh(successor)).toEqual({ kind: 'invalid' });
    const stored = await store.findToken(await hashOpaqueToken(successor));
    expect(stored?.family).toMatchObject({ revokedAt: now, revokeReason: 'reuse' });
  });

  it('treats a token whose successor was itself rotated as reuse', async () => {
    const { token: t0 } = await sessions.start('user-chain');
    const t1 = successorOf(await sessions.refresh(t0));
    const t2 = successorOf(await sessions.refresh(t1));

    expect(successorOf(await sessions.refresh(t1))).toBe(t2);
    expect(await sessions.refresh(t0)).toMatchObject({ kind: 'reuse_detected' });
    expect(await sessions.refresh(t2)).toEqual({ kind: 'invalid' });
  });

  it('ends families at the absolute lifetime and after the idle timeout', async () => {
    const login = now;
    const daily = await sessions.start('user-expiry');
    const idle = await sessions.start('user-expiry');

    let token = daily.token;
    for (let day = 6; day < 30; day += 6) {
      now = login + day * DAY;
      token = successorOf(await sessions.refresh(token));
    }
    expect(await sessions.refresh(idle.token)).toEqual({ kind: 'invalid' });
    now = login + 30 * DAY;
    expect(await sessions.refresh(token)).toEqual({ kind: 'invalid' });
  });

  it('revokes one family on logout and all but one on a password change', async () => {
    const kept = await sessions.start('user-revoke');
    const other = await sessions.start('user-revoke');
    const logout = await sessions.start('user-revoke');
    const stranger = await sessions.start('user-stranger');

    expect(await sessions.revoke(logout.token, 'logout')).toBe('user-revoke');
    expect(await sessions.revoke(logout.token, 'logout')).toBeUndefined();
    const options = { exceptFamilyId: await sessions.familyOf(kept.token) };
    expect(await sessions.revokeAll('user-revoke', 'password_change', options)).toBe(1);

    expect(await sessions.refresh(other.token)).toEqual({ kind: 'invalid' });
    expect(await sessions.refresh(logout.token)).toEqual({ kind: 'invalid' });
    expect(await sessions.refresh(kept.token)).toMatchObject({ kind: 'rotated' });
    expect(await sessions.refresh(stranger.token)).toMatchObject({ kind: 'rotated' });
    expect(await sessions.revokeAll('user-revoke', 'admin')).toBe(1);
  });

  it('rotates once across two instances, then detects the replay once', async () => {
    const instances = [sessions, createSessionManager(await backend.store(), {}, clock)];
    const { token, familyId } = await sessions.start('user-race');
    const wave = () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => instances[i % 2]?.refresh(token)));

    const first = await wave();
    expect(new Set(first.map(successorOf)).size).toBe(1);
    expect(await backend.liveTokens(familyId)).toBe(1);

    now += 11 * SECOND;
    const second = await wave();
    const kinds = second.map((outcome) => outcome?.kind);
    expect(kinds.filter((kind) => kind === 'reuse_detected')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'invalid')).toHaveLength(19);
    expect(await sessions.refresh(successorOf(first[0]))).toEqual({ kind: 'invalid' });
  });
});
