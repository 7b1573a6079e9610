import { spawnSync } from 'node:child_process';

import { signRequest } from 'gatehouse/signatures';
import { describe, expect, it } from 'vitest';

import { bearer, embedded, signIn, signUp } from './support.js';

function cli(args: string[]) {
  return spawnSync('npx', ['gatehouse', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...embedded.env },
  });
}

const kidOf = (token: string) =>
  (
    JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as {
      kid: string;
    }
  ).kid;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('key rotation on a running reference API', () => {
  it('signs with the new JWT key without a restart; old tokens verify until the old key is retired', async () => {
    const user = await signUp(embedded.url);
    const oldKid = kidOf(user.accessToken);

    const rotated = cli(['keys', 'rotate', 'jwt']);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain(`${oldKid}  verify-only`);

    // New tokens carry the new key within seconds; the old token still works meanwhile.
    const fresh = await until(async () => {
      const session = await signIn(embedded.url, user.email, user.password);
      return kidOf(session.accessToken) === oldKid ? undefined : session;
    });
    expect((await fetch(`${embedded.url}/api/me`, { headers: bearer(fresh) })).status).toBe(200);
    expect((await fetch(`${embedded.url}/api/me`, { headers: bearer(user) })).status).toBe(200);

    expect(cli(['keys', 'retire', oldKid]).status).toBe(0);
    await until(async () => {
      const response = await fetch(`${embedded.url}/api/me`, { headers: bearer(user) });
      return response.status === 401 ? true : undefined;
    });
    expect((await fetch(`${embedded.url}/api/me`, { headers: bearer(fresh) })).status).toBe(200);
    const jwks = (await (await fetch(`${embedded.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(oldKid);

    // Both changes reached the audit log through the inbox.
    const admin = await signUp(embedded.url);
    expect(cli(['users', 'promote', admin.email]).status).toBe(0);
    const reader = await signIn(embedded.url, admin.email, admin.password);
    const actions = await until(async () => {
      const response = await fetch(`${embedded.url}/api/audit?actor=gatehouse-cli&limit=1000`, {
        headers: bearer(reader),
      });
      const { entries } = (await response.json()) as {
        entries: { action: string; resource: string }[];
      };
      const found = entries.filter(
        (entry) => entry.resource.includes(oldKid) || entry.resource === 'keys/jwt',
      );
      return found.some((entry) => entry.action === 'keys.retire') ? found : undefined;
    });
    expect(actions.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['keys.rotate', 'keys.retire']),
    );
  });

  it('accepts internal calls with the old service key during the overlap only', async () => {
    const oldId = `svc-old-${crypto.randomUUID().slice(0, 6)}`;
    const newId = `svc-new-${crypto.randomUUID().slice(0, 6)}`;
    const created = cli(['keys', 'hmac', 'create', oldId]);
    const oldKey = {
      id: oldId,
      secret: new Uint8Array(
        Buffer.from(/secret: (\S+)/.exec(created.stdout)?.[1] as string, 'base64url'),
      ),
    };
    const call = (key: typeof oldKey) =>
      signRequest(
        new Request(`${embedded.url}/api/internal/users/${crypto.randomUUID()}/disable`, {
          method: 'POST',
        }),
        key,
      ).then((request) => fetch(request));
    await until(async () => ((await call(oldKey)).status === 404 ? true : undefined));

    const rotated = cli(['keys', 'rotate', 'hmac', oldId, newId, '--overlap', '8s']);
    expect(rotated.status).toBe(0);
    const newKey = {
      id: newId,
      secret: new Uint8Array(
        Buffer.from(/secret: (\S+)/.exec(rotated.stdout)?.[1] as string, 'base64url'),
      ),
    };
    await until(async () => ((await call(newKey)).status === 404 ? true : undefined));
    expect((await call(oldKey)).status).toBe(404);

    await until(async () => ((await call(oldKey)).status === 401 ? true : undefined));
    expect((await call(newKey)).status).toBe(404);
  });
});
