import type { RatePolicy } from './limiter.js';

/**
 * The reference API's policies: generous for ordinary traffic, tight and exact on the routes an
 * attacker would hammer (credential stuffing, account creation, reset mail floods). The tight
 * ones fail closed or count locally when the store is down, so an outage cannot lift them.
 */
export const defaultRatePolicies: Readonly<Record<string, RatePolicy>> = {
  // Global: every request by client address, every authenticated request by user.
  ip: { limit: 600, windowSeconds: 60, by: 'ip' },
  user: { limit: 300, windowSeconds: 60, by: 'user' },

  health: { limit: 1200, windowSeconds: 60, by: 'ip' },
  public: { limit: 300, windowSeconds: 60, by: 'ip' },
  api: { limit: 300, windowSeconds: 60, by: 'user' },
  'api-write': { limit: 60, windowSeconds: 60, by: 'user' },
  admin: { limit: 60, windowSeconds: 60, by: 'user' },
  // Signed calls from the deployment's own services, per address.
  internal: { limit: 600, windowSeconds: 60, by: 'ip' },
  // Browsers send a report per violation; a broken page can send dozens, a flood many more.
  'csp-reports': { limit: 120, windowSeconds: 60, by: 'ip' },

  'auth-login': sensitive(10, 300, 'ip', 'local'),
  // Per account named in a login, whatever address it comes from (credential stuffing spreads
  // over many addresses; it still aims at few accounts).
  'auth-login-account': sensitive(10, 300, 'ip', 'local'),
  'auth-register': sensitive(5, 3600, 'ip', 'closed'),
  'auth-refresh': { limit: 60, windowSeconds: 300, by: 'ip', onStoreFailure: 'local' },
  'auth-password': sensitive(5, 900, 'user', 'closed'),
  'auth-forgot': sensitive(5, 3600, 'ip', 'closed'),
  // Per account named, so nobody can flood one inbox with reset mail from many addresses.
  'auth-forgot-account': sensitive(3, 3600, 'ip', 'closed'),
  'auth-reset': sensitive(10, 3600, 'ip', 'closed'),
};

function sensitive(
  limit: number,
  windowSeconds: number,
  by: RatePolicy['by'],
  onStoreFailure: 'closed' | 'local',
): RatePolicy {
  return { limit, windowSeconds, by, algorithm: 'sliding-log', onStoreFailure };
}
