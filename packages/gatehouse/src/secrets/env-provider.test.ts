import { describe, expect, it } from 'vitest';

import { createEnvSecretProvider, envProviderWarnings, envSecretVariable } from './env-provider.js';
import { describeProviderConformance } from './test/conformance.js';

describeProviderConformance('env', async () => {
  const environment: Record<string, string> = { PATH: '/usr/bin' };
  return {
    provider: createEnvSecretProvider({ environment }),
    async seed(name, value) {
      environment[envSecretVariable(name)] = value;
    },
  };
});

describe('env secret provider', () => {
  it('maps names to upper-case variables under the prefix', () => {
    expect(envSecretVariable('db/password')).toBe('GATEHOUSE_SECRET_DB_PASSWORD');
    expect(envSecretVariable('billing.hmac-key', 'APP_')).toBe('APP_BILLING_HMAC_KEY');
  });

  it('reads values at each call, without dates or versions', async () => {
    const environment: Record<string, string> = {};
    const secrets = createEnvSecretProvider({ environment });
    expect(await secrets.get('db/password')).toBeUndefined();

    environment.GATEHOUSE_SECRET_DB_PASSWORD = 's3cret';
    const secret = await secrets.get('db/password');
    expect(Buffer.from(secret?.value ?? []).toString()).toBe('s3cret');
    expect(secret?.metadata).toEqual({
      name: 'db/password',
      version: undefined,
      createdAt: undefined,
      updatedAt: undefined,
    });
  });

  it('treats an empty variable as unset, and lists only well-formed variables', async () => {
    const secrets = createEnvSecretProvider({
      environment: {
        GATEHOUSE_SECRET_EMPTY: '',
        GATEHOUSE_SECRET_API_KEY: 'k',
        GATEHOUSE_SECRET_lower: 'x',
        GATEHOUSE_SECRET_: 'x',
        OTHER: 'x',
      },
    });
    expect(await secrets.get('empty')).toBeUndefined();
    expect((await secrets.list()).map((m) => m.name)).toEqual(['api_key']);
  });

  it('refuses put as read-only', async () => {
    const secrets = createEnvSecretProvider({ environment: {} });
    expect(secrets.writable).toBe(false);
    await expect(secrets.put('x', 'y')).rejects.toMatchObject({ code: 'ERR_SECRET_READ_ONLY' });
  });

  it('tells the caller to warn in production only', () => {
    expect(envProviderWarnings('development')).toEqual([]);
    expect(envProviderWarnings('production')).toEqual([
      expect.stringContaining('environment variables'),
    ]);
  });
});
