import { spawnSync } from 'node:child_process';

import { signRequest } from 'gatehouse/signatures';
import { describe, expect, inject, it } from 'vitest';

import { bearer, embedded, reportOnly, signIn, signUp } from './support.js';

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

describe('service keys from Vault (KV v2)', () => {
  const vault = inject('vault');

  async function putKey(keyId: string, fill: number) {
    const response = await fetch(`${vault.address}/v1/secret/data/gatehouse/hmac/${keyId}`, {
      method: 'POST',
      headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { value: Buffer.alloc(32, fill).toString('base64url') } }),
    });
    expect(response.status).toBe(200);
    return { id: keyId, secret: new Uint8Array(32).fill(fill) };
  }

  // The instance's public URL is https://gatehouse.test, as behind a TLS-terminating proxy:
  // callers sign that URL, and the request reaches the instance on its own address.
  const call = async (key: { id: string; secret: Uint8Array }) => {
    const path = `/api/internal/users/${crypto.randomUUID()}/disable`;
    const signed = await signRequest(
      new Request(`${reportOnly.env['GATEHOUSE_PUBLIC_URL']}${path}`, { method: 'POST' }),
      key,
    );
    return fetch(`${reportOnly.url}${path}`, { method: 'POST', headers: signed.headers });
  };

  it('accepts a key written to Vault, and takes up a new version without a restart', async () => {
    const keyId = `vault-svc-${crypto.randomUUID().slice(0, 6)}`;
    const first = await putKey(keyId, 11);
    await until(async () => ((await call(first)).status === 404 ? true : undefined));

    const second = await putKey(keyId, 12);
    await until(async () => ((await call(second)).status === 404 ? true : undefined));
    expect((await call(first)).status).toBe(401);
    expect((await call({ id: 'not-in-vault', secret: new Uint8Array(32).fill(12) })).status).toBe(
      401,
    );
  });
});

describe('audit checkpoint key rotation on a running reference API', () => {
  it('signs the next checkpoints with the new key, and the whole log still verifies', async () => {
    const admin = await signUp(embedded.url);
    expect(cli(['users', 'promote', admin.email]).status).toBe(0);
    const reader = await signIn(embedded.url, admin.email, admin.password);

    const rotated = cli(['keys', 'rotate', 'audit']);
    expect(rotated.status).toBe(0);
    // <name>+<key hash>+<key>: the hash is what a signature line starts with.
    const hash = (rotated.stdout.trim().split('+')[1] ?? '').toLowerCase();

    const signedWithNewKey = await until(async () => {
      await fetch(`${embedded.url}/api/me`, { headers: bearer(reader) });
      const made = await fetch(`${embedded.url}/api/audit/checkpoint`, {
        method: 'POST',
        headers: bearer(reader),
      });
      const note = await made.text();
      const signature = /\n— \S+ (\S+)\n$/.exec(note)?.[1] ?? '';
      const keyHash = Buffer.from(signature, 'base64').subarray(0, 4).toString('hex');
      return keyHash === hash ? note : undefined;
    });
    expect(signedWithNewKey.split('\n')[0]).toMatch(/\/audit$/);

    const verified = cli(['audit', 'verify']);
    expect(verified.stdout).toMatch(/^ok: /);
    expect(verified.status).toBe(0);
  });
});
