/**
 * Audit entries from commands run beside a server that owns a file-backed log (`gatehouse keys
 * rotate`, `gatehouse review`): only one process may write the log's files, so a command leaves
 * its entry in an inbox directory and the running server appends it, in the order written.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { listDirectory, writeFileAtomically } from '../files.js';
import type { AuditEntryInput } from './entry.js';

const INBOX_FILE = /^\d{13}-[0-9a-f]{12}\.json$/;
const MAX_FILE_BYTES = 16 * 1024;

/** Where a deployment's audit inbox is. */
export function auditInboxDir(dataDir: string): string {
  return join(dataDir, 'audit-inbox');
}

/**
 * Leaves an entry for the server to append (0700 directory, 0600 file). Names sort by time, so
 * entries are appended in the order they were left.
 */
export async function leaveAuditEntry(
  dir: string,
  entry: AuditEntryInput,
  now: Date = new Date(),
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${String(now.getTime()).padStart(13, '0')}-${randomBytes(6).toString('hex')}.json`;
  const timestamp = entry.timestamp ?? now;
  await writeFileAtomically(dir, name, JSON.stringify({ ...entry, timestamp }), {
    exclusive: true,
  });
}

/**
 * Appends every entry waiting in the inbox, oldest first, removing each once the log holds it
 * durably. A file that is not a valid entry is moved aside by the caller's `onInvalid`, never
 * appended. Resolves to how many entries were appended.
 */
export async function drainAuditInbox(
  dir: string,
  append: (entry: AuditEntryInput) => Promise<unknown>,
  onInvalid: (name: string, error: unknown) => void = () => undefined,
): Promise<number> {
  let appended = 0;
  for (const name of (await listDirectory(dir)).filter((n) => INBOX_FILE.test(n)).sort()) {
    const path = join(dir, name);
    let entry: AuditEntryInput;
    try {
      const text = await readFile(path, 'utf8');
      if (text.length > MAX_FILE_BYTES) throw new RangeError('the entry is too large');
      entry = JSON.parse(text) as AuditEntryInput;
    } catch (error) {
      onInvalid(name, error);
      await rm(path, { force: true });
      continue;
    }
    try {
      await append(entry);
    } catch (error) {
      // An entry the log refuses (ill-formed) is dropped and reported; a log that is down
      // leaves it in place for the next drain.
      if ((error as { code?: string }).code === 'ERR_AUDIT_ENTRY_INVALID') {
        onInvalid(name, error);
        await rm(path, { force: true });
        continue;
      }
      throw error;
    }
    await rm(path, { force: true });
    appended += 1;
  }
  return appended;
}
