import { describe, expect, it } from 'vitest';

import { embedded, limited, limitedB, problemBody, sendJson } from './support.js';

// The `limited` instances trust a loopback proxy, so X-Forwarded-For stands for the client; each
// test takes random addresses of its own, so its counters start empty (Redis outlives a run).
const octet = () => crypto.getRandomValues(new Uint8Array(1))[0]!;
const hex = () => octet().toString(16);
const freshClient = () => `10.${octet()}.${octet()}.${octet()}`;
const freshNetwork = () => `2001:db8:${hex()}${hex()}`;

function login(client: string, server = limited, email = `u-${crypto.randomUUID()}@example.test`) {
  return fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ email, password: 'not the password' }),
  });
}

describe('rate-limit headers', () => {
  it('lists every policy that applied, and describes the tightest in X-RateLimit-*', async () => {
    const response = await fetch(`${limited.url}/api/health`, {
      headers: { 'x-forwarded-for': freshClient() },
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toBe('"ip";q=600;w=60, "health";q=1200;w=60');
    expect(response.headers.get('ratelimit')).toMatch(/^"ip";r=599;t=\d+, "health";r=1199;t=\d+$/);
    expect(response.headers.get('x-ratelimit-limit')).toBe('600');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('599');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('carries the headers on error responses of limited routes too', async () => {
    const response = await sendJson(limited.url, '/api/notes', 'POST', {});
    expect(response.status).toBe(401);
    expect(response.headers.get('ratelimit-policy')).toContain('"api-write"');
  });
});

describe('the sensitive routes', () => {
  it('allow 10 logins per client address in 5 minutes, then answer 429 naming the policy', async () => {
    const client = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await login(client)).status);
    expect(statuses).toEqual(Array(10).fill(401));

    const refused = await login(client);
    const body = await problemBody(refused);
    expect(refused.status).toBe(429);
    expect(body).toMatchObject({
      type: 'urn:gatehouse:problem:rate-limited',
      policies: ['auth-login'],
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit')).toContain('"auth-login";r=0');
  });

  it('also limit logins per account, whatever addresses they come from', async () => {
    const email = `target-${crypto.randomUUID()}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1)
      statuses.push((await login(freshClient(), limited, email)).status);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    const refused = await login(freshClient(), limited, email);
    expect(await problemBody(refused)).toMatchObject({ policies: ['auth-login-account'] });
  });

  it('keep refusing a blocked client from memory, while other clients go on', async () => {
    const client = freshClient();
    for (let i = 0; i < 11; i += 1) await login(client);

    expect((await login(client)).status).toBe(429);
    expect((await login(freshClient())).status).toBe(401);
  });

  it('are tighter than the general limit: the ip policy still has room when login is exhausted', async () => {
    const client = freshClient();
    for (let i = 0; i < 11; i += 1) await login(client);

    const health = await fetch(`${limited.url}/api/health`, {
      headers: { 'x-forwarded-for': client },
    });
    expect(health.status).toBe(200);
  });
});

describe('client addresses', () => {
  it('count IPv6 neighbours within one /64 together, and other /64s apart', async () => {
    const network = freshNetwork();
    for (let i = 1; i <= 11; i += 1) await login(`${network}:1:${i.toString(16)}::1`);

    expect((await login(`${network}:1:ffff::ffff`)).status).toBe(429);
    expect((await login(`${network}:2::1`)).status).toBe(401);
  });

  it('count an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    const client = freshClient();
    for (let i = 0; i < 11; i += 1) await login(`::ffff:${client}`);
    expect((await login(client)).status).toBe(429);
  });

  it('ignore a forged X-Forwarded-For where no proxy is trusted: it neither resets nor shifts the count', async () => {
    const remaining = async (forwarded: string) => {
      const response = await fetch(`${embedded.url}/api/health`, {
        headers: { 'x-forwarded-for': forwarded },
      });
      return Number(/"ip";r=(\d+)/.exec(response.headers.get('ratelimit') ?? '')?.[1]);
    };

    const first = await remaining('203.0.113.1');
    const second = await remaining('203.0.113.2');
    const third = await remaining('198.51.100.77');
    // A fresh bucket would answer limit - 1; the count only goes on falling, as one client's.
    expect(first).toBeLessThan(100_000 - 1);
    expect(second).toBeLessThanOrEqual(first);
    expect(third).toBeLessThanOrEqual(second);
  });
});

describe('two instances sharing Redis', () => {
  // Refresh without a cookie is cheap (no password hashing), so the count is all that is tested.
  const refresh = (client: string, server: typeof limited) =>
    fetch(`${server.url}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'x-forwarded-for': client, origin: server.env['GATEHOUSE_PUBLIC_URL']! },
    });

  it('admit exactly the limit, never more, to concurrent requests spread over both', async () => {
    const client = freshClient();
    const attempts = Array.from({ length: 80 }, (_, i) =>
      refresh(client, i % 2 ? limited : limitedB),
    );
    const statuses = (await Promise.all(attempts)).map((response) => response.status);

    expect(statuses.filter((status) => status === 401)).toHaveLength(60);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });
});

describe('reset mail', () => {
  it('goes to one address at most 3 times an hour, whatever addresses ask for it', async () => {
    const email = `inbox-${crypto.randomUUID()}@example.test`;
    const ask = () =>
      fetch(`${limited.url}/api/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': freshClient() },
        body: JSON.stringify({ email }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await ask()).status);

    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});
