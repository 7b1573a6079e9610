import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { accountMigrations, createAccountStore } from '../auth/accounts/index.js';
import { migrate, openSqlite } from '../sql/index.js';
import { main, type CliIo } from './main.js';

function run(args: string[], dataDir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { GATEHOUSE_DATA_DIR: dataDir },
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  };
  return main(args, io).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

describe('gatehouse keys', () => {
  it('rotates: a new active key, the previous one verify-only; then retires the old one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    const listed = await run(['keys', 'list'], dataDir);
    const [first] = listed.out.split(/\s+/);
    expect(listed.out).toMatch(/ active /);

    const rotated = await run(['keys', 'rotate'], dataDir);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(`${first}  verify-only`);
    expect(rotated.out.match(/ active /g)).toHaveLength(1);

    const retired = await run(['keys', 'retire', first!], dataDir);
    expect(retired.code).toBe(0);
    expect(retired.out).toContain(`${first}  retired`);
  });

  it('refuses to retire the active key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-keys-'));
    const [active] = (await run(['keys', 'list'], dataDir)).out.split(/\s+/);
    const refused = await run(['keys', 'retire', active!], dataDir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^gatehouse: .*active/);
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
