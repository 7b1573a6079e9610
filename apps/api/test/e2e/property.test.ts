import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { databases, signUp } from './support.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const pathArbitrary = fc.oneof(
  fc.constant('/api/health'),
  fc.constant('/api/notes'),
  fc.constant('/api/me'),
  fc.constant('/api/admin/users'),
  fc.constantFrom(
    '/api/auth/register',
    '/api/auth/login',
    '/api/auth/refresh',
    '/api/auth/logout',
    '/api/auth/password',
    '/api/auth/password/forgot',
    '/api/auth/password/reset',
    '/.well-known/jwks.json',
  ),
  fc.uuid().map((id) => `/api/notes/${id}`),
  fc.string({ maxLength: 40 }).map((id) => `/api/notes/${encodeURIComponent(id) || 'x'}`),
  fc.string({ maxLength: 20 }).map((rest) => `/api/${encodeURIComponent(rest)}/more`),
);

const queryArbitrary = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 4 })
    .map((entries) => new URLSearchParams(entries).toString()),
  fc
    .record({ limit: fc.string({ maxLength: 6 }), offset: fc.string({ maxLength: 6 }) })
    .map((entries) => new URLSearchParams(entries).toString()),
  // Raw text, percent signs and all; fetch escapes only what a request line cannot carry.
  fc.string({ maxLength: 40 }),
);

const headerText = fc.string({ maxLength: 60 }).filter((text) => /^[\x20-\x7e]*$/.test(text));

const contentTypeArbitrary = fc.oneof(
  fc.constant('application/json'),
  fc.constant('application/json; charset=utf-8'),
  fc.constant('text/plain'),
  fc.constant('multipart/form-data; boundary=x'),
  fc.constant(undefined),
  headerText,
);

const bodyArbitrary: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ title: value, body: value })),
  fc
    .record({ title: fc.string(), body: fc.string() }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        email: fc.oneof(fc.emailAddress(), fc.string()),
        password: fc.string({ maxLength: 300 }),
        token: fc.string(),
        newPassword: fc.string({ maxLength: 40 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new Uint8Array(bytes)),
);

const requestArbitrary = fc.record({
  method: fc.constantFrom(...METHODS),
  path: pathArbitrary,
  query: queryArbitrary,
  contentType: contentTypeArbitrary,
  body: bodyArbitrary,
  // Half the requests carry a valid access token, so validation behind authentication is reached.
  authorized: fc.boolean(),
  cookie: fc.option(fc.string({ maxLength: 60 }).filter((text) => /^[\x21-\x7e]*$/.test(text))),
});

describe.each(databases)('no input produces a 5xx ($name)', ({ name, url }) => {
  let token = '';

  beforeAll(async () => {
    token = (await signUp(url)).accessToken;
  });

  it('answers random and malformed requests on every route with < 500, and problem+json on errors', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (input) => {
        const { method, path, query, contentType, body, authorized, cookie } = input;
        const headers: Record<string, string> = { origin: url };
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (authorized) headers['authorization'] = `Bearer ${token}`;
        if (cookie !== null) headers['cookie'] = `__Host-gatehouse-refresh=${cookie}`;
        const withBody = method !== 'GET' && method !== 'HEAD';

        const response = await fetch(`${url}${path}${query === '' ? '' : `?${query}`}`, {
          method,
          headers,
          redirect: 'manual',
          ...(withBody ? { body: typeof body === 'string' ? body : body.slice() } : {}),
        });
        const text = await response.text();

        expect(response.status, `${method} ${path}?${query}`).toBeLessThan(500);
        if (response.status >= 400 && method !== 'HEAD') {
          expect(response.headers.get('content-type')).toBe('application/problem+json');
          const problem = JSON.parse(text) as { type: string; status: number; requestId: string };
          expect(problem.status).toBe(response.status);
          expect(problem.type).toMatch(/^urn:gatehouse:problem:/);
          expect(problem.requestId).toBe(response.headers.get('x-request-id'));
          expect(text).not.toMatch(/\bat \S+:\d+|node_modules|ZodError|SyntaxError/);
        }
      }),
      { numRuns: name === 'sqlite' ? 2_000 : 600 },
    );
  }, 180_000);
});
