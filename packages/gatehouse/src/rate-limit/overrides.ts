import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { defaultRatePolicies } from './defaults.js';
import type { RatePolicy } from './limiter.js';

const PolicyOverride = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000).optional(),
  windowSeconds: z.number().int().min(1).max(86_400).optional(),
  by: z.enum(['ip', 'user']).optional(),
  algorithm: z.enum(['sliding-window', 'sliding-log']).optional(),
  onStoreFailure: z.enum(['open', 'closed', 'local']).optional(),
});
const PolicyOverrides = z.record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/), PolicyOverride);

/** The default policies with `GATEHOUSE_RATE_LIMITS` (JSON: `{"auth-login":{"limit":20}}`) merged in. */
export function ratePolicies(json: string | undefined): Record<string, RatePolicy> {
  const policies: Record<string, RatePolicy> = { ...defaultRatePolicies };
  if (json === undefined) return policies;

  let overrides: z.infer<typeof PolicyOverrides>;
  try {
    overrides = PolicyOverrides.parse(JSON.parse(json));
  } catch {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'GATEHOUSE_RATE_LIMITS must be JSON: {"<policy>": {"limit": n, "windowSeconds": n, ...}}',
    );
  }
  for (const [name, override] of Object.entries(overrides)) {
    const base = policies[name];
    const merged = { ...base, ...override };
    if (
      merged.limit === undefined ||
      merged.windowSeconds === undefined ||
      merged.by === undefined
    ) {
      throw new GatehouseError(
        'ERR_CONFIG_INVALID',
        `GATEHOUSE_RATE_LIMITS: new policy "${name}" needs limit, windowSeconds and by`,
      );
    }
    policies[name] = merged as RatePolicy;
  }
  return policies;
}
