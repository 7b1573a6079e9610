import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { accountMigrations, createAccountStore } from '../auth/accounts/index.js';
import { migrate, openSqlite } from '../sql/index.js';
import { loadConfig } from '../config/index.js';
import { createServiceKeyResolver } from '../service-keys/files.js';
import { keysCommand } from './keys.js';
import { runCli } from './test/run.js';

const run = runCli;

describe('gatehouse keys', () => {
  const kidsIn = (text: string, state: string) =>
    [...text.matchAll(new RegExp(`^jwt +(\\S+) +${state} `, 'gm'))].map((m) => m[1] as string);

  it('rotates: a new active key, the previous one verify-only; then retires the old one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    expect((await run(['keys', 'list'], dataDir)).out).toBe('');

    const rotated = await run(['keys', 'rotate', 'jwt'], dataDir);
    expect(rotated.code).toBe(0);
    const [old] = kidsIn(rotated.out, 'verify-only');
    expect(kidsIn(rotated.out, 'active')).toHaveLength(1);

    const listed = await run(['keys', 'list'], dataDir);
    expect(kidsIn(listed.out, 'verify-only')).toEqual([old]);

    const retired = await run(['keys', 'retire', old!], dataDir);
    expect(retired.code).toBe(0);
    expect(kidsIn(retired.out, 'retired')).toEqual([old]);

    // Each change waits in the audit inbox for the running server.
    const inbox = readdirSync(join(dataDir, 'audit-inbox')).sort();
    const actions = inbox.map(
      (name) =>
        (JSON.parse(readFileSync(join(dataDir, 'audit-inbox', name), 'utf8')) as { action: string })
          .action,
    );
    expect(actions).toEqual(['keys.rotate', 'keys.retire']);
  });

  it('retires verify-only keys once every token they signed has expired', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
    const io = { env: {}, out: () => undefined, err: () => undefined };
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await keysCommand(['rotate', 'jwt'], config, io, () => new Date(t0));
    // The previous key's tokens live 600 s plus 5 s of tolerance after the rotation.
    await keysCommand(['rotate', 'jwt'], config, io, () => new Date(t0 + 300_000));
    const out: string[] = [];
    await keysCommand(
      ['rotate', 'jwt'],
      config,
      { ...io, out: (t) => out.push(t) },
      () => new Date(t0 + 1_000_000),
    );
    const states = out
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('jwt'))
      .map((line) => line.split(/\s+/)[2]);
    expect(states.sort()).toEqual(['active', 'retired', 'retired', 'verify-only']);
  });

  it('refuses to retire the active key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    const [active] = kidsIn((await run(['keys', 'rotate', 'jwt'], dataDir)).out, 'active');
    const refused = await run(['keys', 'retire', active!], dataDir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^gatehouse: .*active/);
    expect((await run(['keys', 'rotate'], dataDir)).code).toBe(2);
  });

  it('rotates a service key: the old one is accepted for the overlap only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    expect((await run(['keys', 'hmac', 'create', 'billing-1'], dataDir)).code).toBe(0);
    const rotated = await run(
      ['keys', 'rotate', 'hmac', 'billing-1', 'billing-2', '--overlap', '1h'],
      dataDir,
    );
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/^key id: billing-2\nsecret: \S{43}\n$/);

    let now = Date.now();
    const resolve = createServiceKeyResolver(join(dataDir, 'secrets', 'hmac'), {
      clock: () => now,
    });
    expect(await resolve('billing-1')).toHaveLength(1);
    expect(await resolve('billing-2')).toHaveLength(1);
    now += 3_600_001;
    expect(await resolve('billing-1')).toEqual([]);
    expect(await resolve('billing-2')).toHaveLength(1);
  });
});

describe('gatehouse users', () => {
  it('promotes an existing account to admin, and says so when there is no such account', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-users-'));
    const db = openSqlite(join(dataDir, 'app.db'));
    await migrate(db, accountMigrations);
    const accounts = createAccountStore(db);
    const account = await accounts.create({ email: 'ops@example.test', passwordHash: 'x' });

    const promoted = await run(['users', 'promote', 'OPS@example.test'], dataDir);
    expect(promoted.code).toBe(0);
    expect((await accounts.findById(account!.id))?.role).toBe('admin');

    const missing = await run(['users', 'promote', 'nobody@example.test'], dataDir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no account');
    await db.close();
  });
});

describe('gatehouse keys rotate audit', () => {
  it('makes a new checkpoint key, keeps the old one for verification, and records the rotation', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    const first = await run(['audit', 'key'], dataDir);
    const rotated = await run(['keys', 'rotate', 'audit'], dataDir);
    expect(rotated.code).toBe(0);
    expect(rotated.out).not.toBe(first.out);
    expect((await run(['audit', 'key'], dataDir)).out).toBe(rotated.out);
    const listed = await run(['keys', 'list'], dataDir);
    expect(listed.out).toMatch(/^audit {2}localhost:3000\/audit {2}active/m);
    expect(listed.out).toMatch(
      /^audit {2}localhost:3000\/audit\+[0-9a-f]{8} {2}retired {6}age unknown$/m,
    );
    const inbox = readdirSync(join(dataDir, 'audit-inbox'));
    expect(inbox).toHaveLength(1);
  });
});
