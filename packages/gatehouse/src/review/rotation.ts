/**
 * `--rotate`: what a review may rotate by itself. Signing keys only: the CLI holds both halves
 * of a JWT rotation (a new key signs, the old one verifies until its tokens expire), while a
 * service key needs the calling service to take up the new secret, and a new checkpoint key is
 * published by a person along with its rotation (`gatehouse keys rotate audit`).
 * @module
 */
import { retireSigningKey, rotateSigningKeys } from '../auth/key-files.js';
import { ageInDays, keyDirectories, listManagedKeys } from '../keys/inventory.js';
import { signingKeysDueForRetirement } from './ages.js';

/** One thing `rotateDueKeys` did, or chose not to do. */
export interface RotationAction {
  readonly kind: 'jwt' | 'hmac' | 'audit';
  /** `rotated`: a new active key; `retired`: a verify-only key; `not-rotated`: left, see reason. */
  readonly action: 'rotated' | 'retired' | 'not-rotated';
  readonly id: string;
  /** For `rotated`, the new key's id. */
  readonly newId?: string;
  readonly reason?: string;
}

/** Options of `rotateDueKeys`. */
export interface RotationOptions {
  readonly now: Date;
  readonly maxAgeDays: number;
  /** Access-token lifetime plus clock tolerance, in seconds. */
  readonly overlapSeconds: number;
}

/**
 * Rotates the active signing key when it is older than the limit, then retires every
 * verify-only signing key whose tokens have all expired. Service and checkpoint keys over the
 * limit are listed as not rotated, with the reason. Running servers reload signing keys within
 * seconds, so nothing needs a restart.
 */
export async function rotateDueKeys(
  dataDir: string,
  options: RotationOptions,
): Promise<RotationAction[]> {
  const dir = keyDirectories(dataDir).jwt;
  const actions: RotationAction[] = [];
  const before = await listManagedKeys(dataDir);
  const overAge = (key: (typeof before)[number]) =>
    key.state !== 'retired' && (ageInDays(key, options.now) ?? 0) > options.maxAgeDays;

  const active = before.find((key) => key.kind === 'jwt' && key.state === 'active');
  if (active !== undefined && overAge(active)) {
    const records = await rotateSigningKeys(dir, options.now);
    const created = records.find((record) => record.state === 'active');
    actions.push({ kind: 'jwt', action: 'rotated', id: active.id, newId: created?.kid ?? '' });
  }

  const after = await listManagedKeys(dataDir);
  for (const kid of signingKeysDueForRetirement(after, options.now, options.overlapSeconds)) {
    await retireSigningKey(dir, kid, options.now);
    actions.push({ kind: 'jwt', action: 'retired', id: kid });
  }

  for (const key of after.filter((k) => k.kind !== 'jwt' && k.state === 'active' && overAge(k))) {
    actions.push({
      kind: key.kind,
      action: 'not-rotated',
      id: key.id,
      reason:
        key.kind === 'hmac'
          ? 'a service key is rotated together with the calling service: ' +
            '`gatehouse keys rotate hmac <id> <new-id>`'
          : 'a new checkpoint key is published with its rotation: `gatehouse keys rotate audit`',
    });
  }
  return actions;
}
