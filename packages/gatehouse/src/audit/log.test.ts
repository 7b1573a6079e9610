import { describe, expect, it, vi } from 'vitest';

import { AuditError } from './errors.js';
import { createAuditLog } from './log.js';
import type { AuditStore, PendingEntry, WriteOutcome } from './store.js';
import { ORIGIN, sampleEntry, testKey } from './test/support.js';

/** A store whose writes fail, spooling what is not required when `spool` is set. */
function downStore(spool: boolean): AuditStore {
  const error = new AuditError('ERR_AUDIT_UNAVAILABLE', 'down');
  return {
    write: async (batch: readonly PendingEntry[]) =>
      batch.map((item): WriteOutcome =>
        spool && !item.required ? { status: 'spooled' } : { status: 'failed', error },
      ),
    size: async () => 0,
    nodes: async () => [],
    read: async () => [],
    addCheckpoint: async () => undefined,
    latestCheckpoint: async () => undefined,
    query: async () => [],
    records: async function* () {},
    checkpoints: async () => [],
    spooled: () => 0,
    drain: async () => 0,
    close: async () => undefined,
  };
}

const { signer } = testKey();

describe('createAuditLog', () => {
  it('refuses a required entry the store cannot take, and spools the others', async () => {
    const log = createAuditLog({ store: downStore(true), signer, origin: ORIGIN });
    await expect(log.append(sampleEntry(0))).resolves.toEqual({ status: 'spooled' });
    await expect(log.append(sampleEntry(1), { required: true })).rejects.toMatchObject({
      code: 'ERR_AUDIT_UNAVAILABLE',
    });
    await log.close();
  });

  it('reports a failed non-durable entry to onError, since no caller waits for it', async () => {
    const onError = vi.fn();
    const log = createAuditLog({ store: downStore(false), signer, origin: ORIGIN, onError });
    await expect(log.append(sampleEntry(0), { durable: false })).resolves.toEqual({
      status: 'queued',
    });
    await log.flush();
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'ERR_AUDIT_UNAVAILABLE' }),
    );
    await log.close();
  });

  it('refuses invalid entries, bad options and appends after close', async () => {
    expect(() =>
      createAuditLog({ store: downStore(false), signer, origin: ORIGIN, maxBatch: 0 }),
    ).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_OPTIONS_INVALID' }));
    const log = createAuditLog({ store: downStore(false), signer, origin: ORIGIN });
    await expect(
      log.append({ ...sampleEntry(0), outcome: 'maybe' } as never),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT_ENTRY_INVALID' });
    await log.close();
    await expect(log.append(sampleEntry(0))).rejects.toMatchObject({ code: 'ERR_AUDIT_CLOSED' });
  });
});
