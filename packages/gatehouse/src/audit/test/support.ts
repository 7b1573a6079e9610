/**
 * Shared by the audit tests: entries, a checkpoint key, and a frozen clock.
 * @module
 */
import { generateKeyPairSync } from 'node:crypto';

import type { AuditEntryInput } from '../entry.js';
import {
  parseVerifierKey,
  verifierKey,
  type NoteSigner,
  type NoteVerifier,
} from '../tlog/index.js';

/** The origin every test log uses. */
export const ORIGIN = 'audit.example.test/log';

/** 2026-01-31T12:00:00.000Z, the frozen clock's time. */
export const NOW = Date.UTC(2026, 0, 31, 12);

/** A fresh checkpoint signer for `ORIGIN` and its verifier. */
export function testKey(): { signer: NoteSigner; verifier: NoteVerifier } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = { name: ORIGIN, privateKey };
  return { signer, verifier: parseVerifierKey(verifierKey(ORIGIN, privateKey)) };
}

/** The `n`th sample entry: user `u<n mod 3>` reading note `n`, a minute apart. */
export function sampleEntry(n: number): AuditEntryInput {
  return {
    actor: { kind: 'user', id: `u${n % 3}` },
    action: n % 2 === 0 ? 'notes.read' : 'notes.update',
    resource: `notes/${n}`,
    outcome: 'success',
    ip: '203.0.113.7',
    userAgent: 'test-agent/1.0',
    timestamp: new Date(NOW + n * 60_000),
    requestId: `req-${n}`,
  };
}
