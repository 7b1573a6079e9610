/**
 * Key and secret ages: a credential that lives long has had long to leak, and a rotation that
 * never happens is a rotation nobody knows how to do.
 * @module
 */
import { ageInDays, type ManagedKey } from '../keys/inventory.js';
import type { SecretMetadata, SecretProviderKind } from '../secrets/provider.js';
import type { Finding, Severity } from './finding.js';

const DAY_MS = 86_400_000;

/** Options of `keyAgeFindings`. */
export interface KeyAgeOptions {
  readonly now: Date;
  /** Keys older than this are due; older than twice this, overdue. */
  readonly maxAgeDays: number;
  /**
   * How long a replaced signing key must still verify: the access-token lifetime plus the clock
   * tolerance, in seconds.
   */
  readonly overlapSeconds: number;
}

const FIX_BY_KIND: Record<ManagedKey['kind'], string> = {
  jwt: 'Run `gatehouse keys rotate jwt` (or `gatehouse review --rotate`).',
  hmac:
    'Run `gatehouse keys rotate hmac <id> <new-id>`, give the new secret to the calling ' +
    'service, and let the overlap retire the old one.',
  audit:
    'The checkpoint key signs the whole log and is kept for its life; plan a new log with a ' +
    'new verifier key if it must change (see docs/audit.md).',
};

/**
 * Every active or verify-only key older than the limit: medium, high past twice the limit.
 * Verify-only signing keys whose last token has expired are due for retirement (low); one whose
 * tokens may still be live is not judged by age. Retired keys verify nothing and are left out.
 */
export function keyAgeFindings(keys: readonly ManagedKey[], options: KeyAgeOptions): Finding[] {
  const findings: Finding[] = [];
  const due = signingKeysDueForRetirement(keys, options.now, options.overlapSeconds);
  for (const key of keys) {
    if (key.state === 'retired') continue;
    // A signing key just replaced still verifies live tokens and retires within minutes: there
    // is nothing to do about its age yet.
    if (key.kind === 'jwt' && key.state === 'verify-only' && !due.includes(key.id)) continue;
    const days = ageInDays(key, options.now);
    const severity = days === undefined ? undefined : ageSeverity(days, options.maxAgeDays);
    if (severity === undefined) continue;

    findings.push({
      id: `key-age:${key.kind}:${key.id}`,
      severity,
      title: `${key.kind} key ${key.id} (${key.state}) is ${days} days old`,
      detail:
        `The limit is ${options.maxAgeDays} days` +
        (severity === 'high' ? ', and it is more than twice that.' : '.'),
      fix:
        key.kind === 'jwt' && key.state === 'verify-only'
          ? `Retire it once its tokens have expired: \`gatehouse keys retire ${key.id}\`.`
          : FIX_BY_KIND[key.kind],
    });
  }

  for (const kid of due) {
    findings.push({
      id: `key-retire:jwt:${kid}`,
      severity: 'low',
      title: `verify-only signing key ${kid} is due for retirement`,
      detail:
        'Every token it signed has expired, so it no longer needs to verify anything; until ' +
        'it is retired, a leak of it still yields accepted tokens.',
      fix: `Run \`gatehouse keys retire ${kid}\` (or \`gatehouse review --rotate\`).`,
    });
  }
  return findings;
}

/**
 * The verify-only signing keys past their overlap. A key stopped signing when the next key was
 * made, so the overlap runs from the next key's creation, not from the key's own.
 */
export function signingKeysDueForRetirement(
  keys: readonly ManagedKey[],
  now: Date,
  overlapSeconds: number,
): string[] {
  const jwt = keys
    .filter((key) => key.kind === 'jwt' && key.createdAt !== undefined)
    .sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime());
  const due: string[] = [];
  for (const [i, key] of jwt.entries()) {
    const successor = jwt[i + 1];
    if (key.state !== 'verify-only' || successor === undefined) continue;
    if (now.getTime() - successor.createdAt!.getTime() >= overlapSeconds * 1000) due.push(key.id);
  }
  return due;
}

/** The secrets one provider lists. */
export interface ProviderSecrets {
  readonly provider: SecretProviderKind;
  readonly secrets: readonly SecretMetadata[];
}

/**
 * Secrets whose current value is older than the limit (medium, high past twice the limit), and
 * secrets whose age cannot be known (low): a source without dates cannot be reviewed.
 */
export function secretAgeFindings(
  sources: readonly ProviderSecrets[],
  options: Pick<KeyAgeOptions, 'now' | 'maxAgeDays'>,
): Finding[] {
  const findings: Finding[] = [];
  for (const { provider, secrets } of sources) {
    for (const secret of secrets) {
      const changed = secret.updatedAt ?? secret.createdAt;
      if (changed === undefined) {
        findings.push({
          id: `secret-undated:${provider}:${secret.name}`,
          severity: 'low',
          title: `secret ${secret.name} (${provider}) has no date`,
          detail: `The ${provider} provider records no dates, so nobody can tell when it last changed.`,
          fix:
            'Keep it in a provider that records when a value was written: the files provider ' +
            '(`<dataDir>/secrets/store`) or Vault/OpenBao KV v2.',
        });
        continue;
      }

      const days = Math.floor((options.now.getTime() - changed.getTime()) / DAY_MS);
      const severity = ageSeverity(days, options.maxAgeDays);
      if (severity === undefined) continue;
      findings.push({
        id: `secret-age:${provider}:${secret.name}`,
        severity,
        title: `secret ${secret.name} (${provider}) last changed ${days} days ago`,
        detail:
          `The limit is ${options.maxAgeDays} days` +
          (severity === 'high' ? ', and it is more than twice that.' : '.'),
        fix: 'Issue a new value where it is used, store it as a new version, then revoke the old one.',
      });
    }
  }
  return findings;
}

function ageSeverity(days: number, maxAgeDays: number): Severity | undefined {
  if (days > 2 * maxAgeDays) return 'high';
  if (days > maxAgeDays) return 'medium';
  return undefined;
}
