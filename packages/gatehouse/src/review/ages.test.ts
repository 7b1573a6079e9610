import { describe, expect, it } from 'vitest';

import type { ManagedKey } from '../keys/inventory.js';
import { keyAgeFindings, secretAgeFindings, signingKeysDueForRetirement } from './ages.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number, minutes = 0) =>
  new Date(NOW.getTime() - days * 86_400_000 - minutes * 60_000);
const OPTIONS = { now: NOW, maxAgeDays: 90, overlapSeconds: 605 };

function key(kind: ManagedKey['kind'], id: string, state: ManagedKey['state'], age: number) {
  return { kind, id, state, createdAt: daysAgo(age) } satisfies ManagedKey;
}

describe('keyAgeFindings', () => {
  it('passes keys within the limit, medium past it, high past twice it', () => {
    const findings = keyAgeFindings(
      [
        key('jwt', 'fresh', 'active', 90),
        key('hmac', 'billing', 'active', 91),
        key('audit', 'log', 'active', 181),
      ],
      OPTIONS,
    );
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['key-age:hmac:billing', 'medium'],
      ['key-age:audit:log', 'high'],
    ]);
    expect(findings[0]!.fix).toContain('gatehouse keys rotate hmac');
  });

  it('counts verify-only keys and leaves retired ones out', () => {
    const findings = keyAgeFindings(
      [
        key('jwt', 'gone', 'retired', 400),
        key('jwt', 'old', 'verify-only', 200),
        key('jwt', 'new', 'active', 10),
      ],
      OPTIONS,
    );
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['key-age:jwt:old', 'high'],
      ['key-retire:jwt:old', 'low'],
    ]);
  });

  it('keeps a just-replaced signing key until its tokens have expired', () => {
    const keys: ManagedKey[] = [
      key('jwt', 'previous', 'verify-only', 100),
      { kind: 'jwt', id: 'current', state: 'active', createdAt: daysAgo(0, 5) },
    ];
    expect(signingKeysDueForRetirement(keys, NOW, 605)).toEqual([]);
    expect(signingKeysDueForRetirement(keys, new Date(NOW.getTime() + 10 * 60_000), 605)).toEqual([
      'previous',
    ]);
  });
});

describe('secretAgeFindings', () => {
  it('judges the date of the current value, and rates undated env secrets low', () => {
    const findings = secretAgeFindings(
      [
        {
          provider: 'files',
          secrets: [
            { name: 'db/password', version: '3', createdAt: daysAgo(400), updatedAt: daysAgo(30) },
            {
              name: 'smtp/password',
              version: '1',
              createdAt: daysAgo(120),
              updatedAt: daysAgo(120),
            },
            { name: 'pepper', version: '1', createdAt: daysAgo(200), updatedAt: daysAgo(200) },
          ],
        },
        {
          provider: 'env',
          secrets: [
            { name: 'api_key', version: undefined, createdAt: undefined, updatedAt: undefined },
          ],
        },
      ],
      { now: NOW, maxAgeDays: 90 },
    );
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['secret-age:files:smtp/password', 'medium'],
      ['secret-age:files:pepper', 'high'],
      ['secret-undated:env:api_key', 'low'],
    ]);
    expect(findings[2]!.fix).toMatch(/files provider|Vault/);
  });
});
