import { afterEach, describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { startVaultTestServer, type VaultTestServer } from './test/vault-server.js';
import { describeProviderConformance } from './test/conformance.js';
import { createVaultSecretProvider, type VaultSecretProviderOptions } from './vault-provider.js';

const TOKEN = 'hvs.test-token-0d9e2b7c4a1f';
const NOW = Date.UTC(2026, 0, 31, 12);

describeProviderConformance('vault (in-process KV v2 server)', async () => {
  const server = await startVaultTestServer({ token: TOKEN });
  return {
    provider: createVaultSecretProvider({ address: server.address, token: TOKEN }),
    seed: async (name, value) => server.write(name, { value }),
    cleanup: () => server.close(),
  };
});

describe('vault secret provider', () => {
  let server: VaultTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup(
    options: Partial<VaultSecretProviderOptions> = {},
    serverOptions: { namespace?: string; mount?: string } = {},
  ) {
    let now = NOW;
    const started = await startVaultTestServer({
      token: TOKEN,
      clock: () => now,
      ...serverOptions,
    });
    server = started;
    const provider = createVaultSecretProvider({
      address: started.address,
      token: TOKEN,
      ...options,
    });
    return { server: started, provider, advance: (ms: number) => (now += ms) };
  }

  /** Runs `action`, expecting a coded error whose message and cause never hold the token. */
  async function expectRefusal(action: () => Promise<unknown>, code: string): Promise<void> {
    const error = await action().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({ code });
    const cause = (error as Error).cause;
    const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack} ${String(cause)}`;
    expect(shown).not.toContain(TOKEN);
  }

  it('sends the token and namespace headers, under the mount and path prefix', async () => {
    const { server, provider } = await setup(
      { mount: 'kv', pathPrefix: 'gatehouse', namespace: 'team-a' },
      { mount: 'kv', namespace: 'team-a' },
    );
    await provider.put('db/password', 'p1');
    await provider.get('db/password');
    await provider.list();

    // get's two reads run in parallel, so arrival order is not fixed.
    expect(server.requests.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
      [
        'POST /v1/kv/data/gatehouse/db/password',
        'GET /v1/kv/metadata/gatehouse/db/password',
        'GET /v1/kv/data/gatehouse/db/password',
        'GET /v1/kv/metadata/gatehouse/db/password',
        'GET /v1/kv/metadata/gatehouse/?list=true',
        'GET /v1/kv/metadata/gatehouse/db/?list=true',
        'GET /v1/kv/metadata/gatehouse/db/password',
      ].sort(),
    );
    expect(new Set(server.requests.map((r) => r.token))).toEqual(new Set([TOKEN]));
    expect(new Set(server.requests.map((r) => r.namespace))).toEqual(new Set(['team-a']));
  });

  it('dates metadata from the entry and its current version', async () => {
    const { provider, advance } = await setup();
    await provider.put('k', 'v1');
    advance(86_400_000);
    await provider.put('k', 'v2');

    expect(await provider.metadata('k')).toEqual({
      name: 'k',
      version: '2',
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW + 86_400_000),
    });
  });

  it('reads an entry written by an operator, as text or as value_base64', async () => {
    const { server, provider } = await setup();
    server.write('text', { value: 'from-cli', note: 'ignored' });
    server.write('bytes', { value_base64: Buffer.from([0xff, 0x01]).toString('base64') });
    server.write('other', { password: 'x' });

    expect(Buffer.from((await provider.get('text'))?.value ?? []).toString()).toBe('from-cli');
    expect((await provider.get('bytes'))?.value).toEqual(new Uint8Array([0xff, 0x01]));
    await expectRefusal(() => provider.get('other'), 'ERR_SECRET_INVALID');
  });

  it('treats a deleted current version as absent, and skips it in listings', async () => {
    const { server, provider } = await setup();
    await provider.put('gone', 'v');
    await provider.put('kept', 'v');
    server.deleteCurrent('gone');

    expect(await provider.get('gone')).toBeUndefined();
    expect(await provider.metadata('gone')).toBeUndefined();
    expect((await provider.list()).map((m) => m.name)).toEqual(['kept']);
  });

  it('maps a wrong token to ERR_SECRET_DENIED without showing it', async () => {
    const { server } = await setup();
    const provider = createVaultSecretProvider({ address: server.address, token: 'hvs.wrong' });
    await expectRefusal(() => provider.get('k'), 'ERR_SECRET_DENIED');
    await expectRefusal(() => provider.put('k', 'v'), 'ERR_SECRET_DENIED');
    await expectRefusal(() => provider.list(), 'ERR_SECRET_DENIED');
  });

  it('maps a missing namespace to ERR_SECRET_DENIED', async () => {
    const { provider } = await setup({}, { namespace: 'team-a' });
    await expectRefusal(() => provider.metadata('k'), 'ERR_SECRET_DENIED');
  });

  it('maps 5xx answers, a stopped server and a timeout to ERR_SECRET_UNAVAILABLE', async () => {
    const { server, provider } = await setup({ timeoutMs: 100 });
    server.failWith = 503;
    await expectRefusal(() => provider.get('k'), 'ERR_SECRET_UNAVAILABLE');
    server.failWith = 500;
    await expectRefusal(() => provider.put('k', 'v'), 'ERR_SECRET_UNAVAILABLE');

    server.failWith = undefined;
    server.delayMs = 500;
    await expectRefusal(() => provider.metadata('k'), 'ERR_SECRET_UNAVAILABLE');
    await expect(provider.metadata('k')).rejects.toThrow(/within 100 ms/);

    server.delayMs = 0;
    await server.close();
    await expectRefusal(() => provider.get('k'), 'ERR_SECRET_UNAVAILABLE');
  });

  it('maps a mount that serves no engine to ERR_SECRET_INVALID, not to an absent secret', async () => {
    const { provider } = await setup({ mount: 'typo' });
    await expectRefusal(() => provider.get('k'), 'ERR_SECRET_INVALID');
  });

  it('refuses put when read-only, before any request', async () => {
    const { server, provider } = await setup({ readOnly: true });
    expect(provider.writable).toBe(false);
    await expectRefusal(() => provider.put('k', 'v'), 'ERR_SECRET_READ_ONLY');
    expect(server.requests).toEqual([]);
  });

  it('asks a token function for the current token at each request', async () => {
    const { server } = await setup();
    let calls = 0;
    const provider = createVaultSecretProvider({
      address: server.address,
      token: async () => {
        calls += 1;
        return TOKEN;
      },
    });
    await provider.put('k', 'v');
    expect(calls).toBe(2);
  });

  it('refuses plain http beyond loopback, credentials in the address and bad options', () => {
    const make = (options: Partial<VaultSecretProviderOptions>) => () =>
      createVaultSecretProvider({ address: 'https://vault.example', token: TOKEN, ...options });

    expect(make({ address: 'http://vault.example:8200' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_UNSAFE' }),
    );
    expect(make({ address: 'http://vault.example', allowInsecureHttp: true })).not.toThrow();
    for (const options of [
      { address: 'https://user:pass@vault.example' },
      { address: 'not a url' },
      { mount: '../sys' },
      { pathPrefix: 'a/../b' },
      { timeoutMs: 0 },
      { token: '' },
    ]) {
      expect(make(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
