import { afterEach, describe, expect, it } from 'vitest';

import { createEnvSecretProvider } from '../secrets/env-provider.js';
import { startVaultTestServer, type VaultTestServer } from '../secrets/test/vault-server.js';
import { createVaultSecretProvider } from '../secrets/vault-provider.js';
import { createProviderKeyResolver } from './provider.js';

const secretOf = (fill: number) => Buffer.alloc(32, fill).toString('base64url');

let vault: VaultTestServer | undefined;
afterEach(async () => {
  await vault?.close();
  vault = undefined;
});

describe('createProviderKeyResolver', () => {
  it('reads hmac/<key id> from environment variables', async () => {
    const resolve = createProviderKeyResolver(
      createEnvSecretProvider({
        environment: {
          GATEHOUSE_SECRET_HMAC_BILLING: secretOf(1),
          GATEHOUSE_SECRET_HMAC_WEAK: 'abc',
        },
      }),
    );
    expect(await resolve('billing')).toEqual([new Uint8Array(32).fill(1)]);
    expect(await resolve('weak')).toEqual([]);
    expect(await resolve('missing')).toEqual([]);
    expect(await resolve('../etc')).toEqual([]);
  });

  it('reads keys from Vault KV v2 and takes up a new version after the refresh', async () => {
    vault = await startVaultTestServer({ token: 'test-token' });
    vault.write('gatehouse/hmac/billing', { value: secretOf(2) });
    let now = 0;
    const resolve = createProviderKeyResolver(
      createVaultSecretProvider({
        address: vault.address,
        token: 'test-token',
        pathPrefix: 'gatehouse',
      }),
      { refreshMs: 5_000, clock: () => now },
    );
    expect(await resolve('billing')).toEqual([new Uint8Array(32).fill(2)]);

    vault.write('gatehouse/hmac/billing', { value: secretOf(3) });
    expect(await resolve('billing')).toEqual([new Uint8Array(32).fill(2)]);
    now = 5_000;
    expect(await resolve('billing')).toEqual([new Uint8Array(32).fill(3)]);
  });
});
