import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { AuditEntryInput } from './entry.js';
import { drainAuditInbox, leaveAuditEntry } from './inbox.js';

const entry = (action: string): AuditEntryInput => ({
  actor: { kind: 'service', id: 'gatehouse-cli' },
  action,
  resource: 'keys/jwt',
  outcome: 'success',
  ip: '',
  userAgent: '',
  requestId: crypto.randomUUID(),
});

describe('the audit inbox', () => {
  it('hands entries over in the order they were left, owner-only, and empties itself', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gatehouse-inbox-')), 'inbox');
    await leaveAuditEntry(dir, entry('keys.rotate'), new Date(1_000));
    await leaveAuditEntry(dir, entry('review.run'), new Date(2_000));
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const appended: AuditEntryInput[] = [];
    expect(await drainAuditInbox(dir, async (e) => appended.push(e))).toBe(2);
    expect(appended.map((e) => e.action)).toEqual(['keys.rotate', 'review.run']);
    expect(appended[0]?.timestamp).toBe(new Date(1_000).toISOString());
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps entries while the log is down, and drops files that are not entries', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gatehouse-inbox-')), 'inbox');
    await leaveAuditEntry(dir, entry('keys.rotate'));
    writeFileSync(join(dir, '0000000000001-aaaaaaaaaaaa.json'), '{not json');
    const invalid: string[] = [];

    await expect(
      drainAuditInbox(
        dir,
        () => Promise.reject(new Error('down')),
        (name) => invalid.push(name),
      ),
    ).rejects.toThrow('down');
    expect(invalid).toEqual(['0000000000001-aaaaaaaaaaaa.json']);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
