import { afterEach, describe, expect, it } from 'vitest';

import { startVaultTestServer, type VaultTestServer } from './vault-server.js';

/** A parsed answer body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk free-form JSON
type Json = Record<string, any>;

const TOKEN = 'hvs.server-test';

/** The test server answers the documented KV v2 shapes the provider relies on. */
describe('in-process KV v2 test server', () => {
  let server: VaultTestServer;
  afterEach(() => server.close());

  const call = async (path: string, init: RequestInit = {}, token = TOKEN) => {
    const response = await fetch(`${server.address}${path}`, {
      ...init,
      headers: { 'X-Vault-Token': token, ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Json };
  };

  it('answers 403 "permission denied" without the right token', async () => {
    server = await startVaultTestServer({ token: TOKEN });
    expect(await call('/v1/secret/data/k', {}, 'wrong')).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
  });

  it('answers 404 {"errors":[]} for a missing secret, and names the route for an unknown mount', async () => {
    server = await startVaultTestServer({ token: TOKEN });
    expect(await call('/v1/secret/data/k')).toEqual({ status: 404, body: { errors: [] } });
    expect(await call('/v1/secret/metadata/k')).toEqual({ status: 404, body: { errors: [] } });
    const unknown = await call('/v1/other/data/k');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0]).toContain('no handler for route');
  });

  it('writes versions and reads them back with their metadata', async () => {
    server = await startVaultTestServer({ token: TOKEN, clock: () => Date.UTC(2026, 0, 1) });
    const post = (value: string) =>
      call('/v1/secret/data/app/k', { method: 'POST', body: JSON.stringify({ data: { value } }) });

    expect((await post('a')).body.data).toEqual({
      created_time: '2026-01-01T00:00:00.000000000Z',
      custom_metadata: null,
      deletion_time: '',
      destroyed: false,
      version: 1,
    });
    await post('b');

    const read = await call('/v1/secret/data/app/k');
    expect(read.body.data.data).toEqual({ value: 'b' });
    expect(read.body.data.metadata.version).toBe(2);
    expect((await call('/v1/secret/data/app/k?version=1')).body.data.data).toEqual({ value: 'a' });

    const metadata = (await call('/v1/secret/metadata/app/k')).body.data;
    expect(metadata).toMatchObject({ current_version: 2, created_time: expect.any(String) });
    expect(Object.keys(metadata.versions)).toEqual(['1', '2']);
  });

  it('lists keys and folders one level deep with ?list=true', async () => {
    server = await startVaultTestServer({ token: TOKEN });
    server.write('app/db/password', { value: 'x' });
    server.write('app/key', { value: 'y' });
    expect((await call('/v1/secret/metadata/app/?list=true')).body.data).toEqual({
      keys: ['db/', 'key'],
    });
    expect((await call('/v1/secret/metadata/none/?list=true')).status).toBe(404);
  });

  it('refuses a write without data, and a check-and-set on the wrong version', async () => {
    server = await startVaultTestServer({ token: TOKEN });
    const post = (body: unknown) =>
      call('/v1/secret/data/k', { method: 'POST', body: JSON.stringify(body) });
    expect((await post({})).status).toBe(400);
    expect((await post({ data: { value: 'x' }, options: { cas: 3 } })).status).toBe(400);
    expect((await post({ data: { value: 'x' }, options: { cas: 0 } })).status).toBe(200);
  });
});
