import { describe, expect, it } from 'vitest';

import { AUDIT_LIMITS, auditEntry, readRecord, recordBytes } from './entry.js';
import { NOW, sampleEntry } from './test/support.js';

describe('auditEntry', () => {
  it('keeps the named fields, drops unknown ones and writes the time as UTC ISO 8601', () => {
    const entry = auditEntry({
      ...sampleEntry(0),
      timestamp: '2026-01-31T13:00:00+01:00',
      password: 'hunter2',
    } as never);
    expect(entry).toEqual({
      actor: { kind: 'user', id: 'u0' },
      action: 'notes.read',
      resource: 'notes/0',
      outcome: 'success',
      ip: '203.0.113.7',
      userAgent: 'test-agent/1.0',
      timestamp: '2026-01-31T12:00:00.000Z',
      requestId: 'req-0',
    });
  });

  it('takes the time from the clock when the entry has none', () => {
    const input = { ...sampleEntry(0), timestamp: undefined } as never;
    expect(auditEntry(input, () => NOW + 1).timestamp).toBe('2026-01-31T12:00:00.001Z');
  });

  it('escapes control, separator and bidirectional characters as \\uXXXX text', () => {
    const entry = auditEntry({
      ...sampleEntry(0),
      userAgent: 'a\nb\r\u0000\u001b[31m\u0085\u2028\u202e\u2066z',
      reason: 'lone \ud800 surrogate',
    });
    expect(entry.userAgent).toBe('a\\u000ab\\u000d\\u0000\\u001b[31m\\u0085\\u2028\\u202e\\u2066z');
    expect(entry.reason).toBe('lone \ufffd surrogate');
  });

  it('cuts long strings to their bound, marking the cut and keeping surrogate pairs whole', () => {
    const entry = auditEntry({ ...sampleEntry(0), userAgent: `${'x'.repeat(510)}😀😀` });
    expect(entry.userAgent).toHaveLength(AUDIT_LIMITS.userAgent - 1);
    expect(entry.userAgent.endsWith('x…')).toBe(true);
    const ip = auditEntry({ ...sampleEntry(0), ip: '1'.repeat(100) }).ip;
    expect(ip).toHaveLength(AUDIT_LIMITS.ip);
  });

  it('takes a few short scalar details and refuses names that look like credentials', () => {
    const details = { noteId: 'n1', count: 3, archived: false };
    expect(auditEntry({ ...sampleEntry(0), details }).details).toEqual(details);
    for (const name of ['password', 'accessToken', 'Cookie', 'requestBody', 'clientSecret']) {
      expect(() => auditEntry({ ...sampleEntry(0), details: { [name]: 'x' } })).toThrow(
        expect.objectContaining({ code: 'ERR_AUDIT_ENTRY_INVALID' }),
      );
    }
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    expect(() => auditEntry({ ...sampleEntry(0), details: many })).toThrow(/more than 16/);
    expect(() => auditEntry({ ...sampleEntry(0), details: { 'a b': 1 } })).toThrow();
    expect(() =>
      auditEntry({ ...sampleEntry(0), details: { nested: {} as unknown as string } }),
    ).toThrow();
  });

  it('refuses a missing field, a bad outcome, a user without id and an invalid time', () => {
    const bad = [
      { ...sampleEntry(0), action: undefined },
      { ...sampleEntry(0), outcome: 'maybe' },
      { ...sampleEntry(0), actor: { kind: 'user' } },
      { ...sampleEntry(0), timestamp: new Date(Number.NaN) },
      { ...sampleEntry(0), timestamp: 'yesterday' },
    ];
    for (const input of bad) {
      expect(() => auditEntry(input as never)).toThrow(
        expect.objectContaining({ code: 'ERR_AUDIT_ENTRY_INVALID' }),
      );
    }
    expect(auditEntry({ ...sampleEntry(0), actor: { kind: 'anonymous' } }).actor).toEqual({
      kind: 'anonymous',
    });
  });
});

describe('record bytes', () => {
  it('are the RFC 8785 form of { seq, ...entry }, and read back only when canonical', () => {
    const entry = auditEntry(sampleEntry(4));
    const bytes = recordBytes(4, entry);
    const text = new TextDecoder().decode(bytes);
    expect(text.startsWith('{"action":"notes.read","actor":{"id":"u1","kind":"user"},')).toBe(true);
    expect(readRecord(bytes)).toEqual({ seq: 4, ...entry });

    const spaced = new TextEncoder().encode(text.replace(':', ': '));
    expect(readRecord(spaced)).toBeUndefined();
    expect(readRecord(new TextEncoder().encode('{"seq":-1}'))).toBeUndefined();
    expect(readRecord(new Uint8Array([0xff]))).toBeUndefined();
  });
});
