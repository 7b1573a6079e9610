import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import type { Principal } from '../auth/types.js';
import type { Authenticator } from './access.js';
import { createGatehouse } from './gatehouse.js';
import { defineRoutes, route } from './route.js';
import { recordingLogger } from './test-support.js';

// A stand-in that knows two bearer strings; the real one verifies JWTs (auth/bearer.ts).
const callers: Record<string, Principal> = {
  'user-token': { userId: 'u-1', role: 'user' },
  'admin-token': { userId: 'a-1', role: 'admin' },
};
const authenticator: Authenticator = {
  async authenticate(request) {
    const header = request.headers.get('authorization');
    if (header === null) return undefined;
    return callers[header.replace(/^Bearer /, '')] ?? 'invalid';
  },
};

const routes = defineRoutes('/api/things', {
  GET: route({
    access: 'user',
    rateLimit: 'api',
    audit: 'thing.read',
    handler: ({ principal }) => Response.json(principal),
  }),
  DELETE: route({
    access: 'admin',
    rateLimit: 'api',
    audit: 'thing.delete',
    handler: () => new Response(null, { status: 204 }),
  }),
  POST: route({
    access: 'user',
    rateLimit: 'api',
    audit: 'thing.create',
    body: z.strictObject({ name: z.string() }),
    handler: () => new Response(null, { status: 201 }),
  }),
});

const gatehouse = createGatehouse({ authenticator, logger: recordingLogger() });
const call = (method: string, token?: string, init: RequestInit = {}) =>
  gatehouse.handle(
    routes,
    new Request('http://api.test/api/things', {
      method,
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.headers as object),
      },
    }),
  );

describe('access levels', () => {
  it('hands the verified caller to the handler', async () => {
    const response = await call('GET', 'user-token');
    expect(await response.json()).toEqual({ userId: 'u-1', role: 'user' });
  });

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    const response = await call('GET');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers an invalid token with 401 and error="invalid_token"', async () => {
    const response = await call('GET', 'forged');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token"',
    );
    expect(await response.json()).toMatchObject({ type: 'urn:gatehouse:problem:unauthorized' });
  });

  it('answers a user on an admin route with 403, and lets an admin through', async () => {
    expect((await call('DELETE', 'user-token')).status).toBe(403);
    expect((await call('DELETE', 'admin-token')).status).toBe(204);
  });

  it('checks access before validation, so anonymous callers learn nothing about the schema', async () => {
    const response = await call('POST', undefined, {
      body: '{"bad":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
  });

  it('refuses to serve a user route without an authenticator (a configuration error, 500)', async () => {
    const bare = createGatehouse();
    const response = await bare.handle(routes, new Request('http://api.test/api/things'));
    expect(response.status).toBe(500);
  });
});
