import { serializeList } from 'structured-headers';

/** What the headers need to know of one policy's state. */
export interface PolicyState {
  readonly policy: string;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/**
 * Rate-limit response headers for every policy that applied to a request:
 *
 * - `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), one list member
 *   per policy: `"ip";q=600;w=60` and `"ip";r=599;t=60`, serialised as RFC 9651 structured
 *   fields;
 * - `X-RateLimit-Limit`, `-Remaining` and `-Reset` for the policy closest to exhaustion, the
 *   de-facto headers most clients read. `X-RateLimit-Reset` is in seconds from now, like `t`.
 */
export function rateLimitHeaders(states: readonly PolicyState[]): [string, string][] {
  if (states.length === 0) return [];

  const tightest = closestToExhaustion(states);
  const policy = serializeList(
    states.map((state) => [
      state.policy,
      new Map([
        ['q', state.limit],
        ['w', state.windowSeconds],
      ]),
    ]),
  );
  const current = serializeList(
    states.map((state) => [
      state.policy,
      new Map([
        ['r', state.remaining],
        ['t', state.resetSeconds],
      ]),
    ]),
  );

  return [
    ['ratelimit-policy', policy],
    ['ratelimit', current],
    ['x-ratelimit-limit', String(tightest.limit)],
    ['x-ratelimit-remaining', String(tightest.remaining)],
    ['x-ratelimit-reset', String(tightest.resetSeconds)],
  ];
}

/** The state with the least remaining (and, among equals, the longest wait). */
export function closestToExhaustion<S extends PolicyState>(states: readonly S[]): S {
  let tightest = states[0];
  if (tightest === undefined) throw new RangeError('no rate-limit states');

  for (const state of states) {
    const fewer = state.remaining < tightest.remaining;
    const sameButLonger =
      state.remaining === tightest.remaining && state.resetSeconds > tightest.resetSeconds;
    if (fewer || sameButLonger) tightest = state;
  }
  return tightest;
}
