import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { servers } from './support.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const pathArbitrary = fc.oneof(
  fc.constant('/api/health'),
  fc.constant('/api/notes'),
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
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new Uint8Array(bytes)),
);

const requestArbitrary = fc.record({
  method: fc.constantFrom(...METHODS),
  path: pathArbitrary,
  query: queryArbitrary,
  contentType: contentTypeArbitrary,
  body: bodyArbitrary,
});

describe.each(servers)('no input produces a 5xx ($name)', ({ name, url }) => {
  it('answers random and malformed requests on every route with < 500, and problem+json on errors', async () => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async ({ method, path, query, contentType, body }) => {
        const headers: Record<string, string> = {};
        if (contentType !== undefined) headers['content-type'] = contentType;
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
