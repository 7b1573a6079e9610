import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createCorsPolicy } from '../cors/policy.js';
import { createMemoryReplayStore, type ReplayStore } from '../signatures/replay.js';
import { signRequest } from '../signatures/sign.js';
import { createSignatureVerifier } from '../signatures/verify.js';
import type { AuditRecord } from './audit.js';
import { createGatehouse } from './gatehouse.js';
import { defineRoutes, route } from './route.js';
import { recordingLogger } from './test-support.js';

const NoteInput = z.strictObject({
  title: z.string().min(1, 'Give the note a title.'),
  body: z.string(),
});

const notes = defineRoutes('/api/notes', {
  GET: route({
    access: 'public',
    rateLimit: 'api',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
    handler: ({ query }) => Response.json({ limit: query.limit }),
  }),
  POST: route({
    access: 'public',
    rateLimit: 'api-write',
    body: NoteInput,
    bodyLimit: 1_000,
    handler: ({ body }) => Response.json(body, { status: 201 }),
  }),
});

const note = defineRoutes('/api/notes/[id]', {
  GET: route({
    access: 'public',
    rateLimit: 'api',
    params: z.strictObject({ id: z.uuid() }),
    handler: ({ params, ctx }) =>
      params.id === '00000000-0000-4000-8000-000000000000'
        ? Response.json({ id: params.id })
        : ctx.problem('notFound', { status: 404, detail: 'No note has this id.' }),
  }),
  DELETE: route({
    access: 'public',
    rateLimit: 'api-write',
    params: z.strictObject({ id: z.uuid() }),
    handler: () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at /srv/app/db.js');
    },
  }),
});

const ID = '00000000-0000-4000-8000-000000000000';

function setup() {
  const logger = recordingLogger();
  const gatehouse = createGatehouse({
    logger,
    trustedProxies: { kind: 'cidrs', ranges: ['10.0.0.0/8'] },
  });
  return { logger, gatehouse };
}

function post(
  body: string | Uint8Array<ArrayBuffer> | ReadableStream,
  headers: Record<string, string> = {},
) {
  return new Request('http://localhost/api/notes', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  });
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown> & {
    errors?: { path: string; code: string }[];
  };
}

describe('the route pipeline', () => {
  it('runs the handler with validated, typed parts and echoes a generated request id', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      new Request('http://localhost/api/notes?limit=5'),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ limit: 5 });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the request id in every problem body and every log line', async () => {
    const { gatehouse, logger } = setup();
    const response = await gatehouse.handle(note, new Request(`http://localhost/api/notes/${ID}`), {
      params: { id: 'not-a-uuid' },
    });
    const body = await problemOf(response);

    expect(body.requestId).toBe(response.headers.get('x-request-id'));
    expect(logger.lines.every((line) => line.fields.requestId === body.requestId)).toBe(true);
  });

  it('accepts a request id only from a trusted proxy, and only when well formed', async () => {
    const { gatehouse } = setup();
    const request = () =>
      new Request('http://localhost/api/notes', { headers: { 'x-request-id': 'edge-42' } });

    const fromProxy = await gatehouse.handle(notes, request(), { peer: '10.1.2.3' });
    const fromClient = await gatehouse.handle(notes, request(), { peer: '203.0.113.9' });
    const malformed = await gatehouse.handle(
      notes,
      new Request('http://localhost/api/notes', { headers: { 'x-request-id': 'a b\u0007' } }),
      { peer: '10.1.2.3' },
    );

    expect(fromProxy.headers.get('x-request-id')).toBe('edge-42');
    expect(fromClient.headers.get('x-request-id')).not.toBe('edge-42');
    expect(malformed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs the client address from the trusted-proxy rules, ignoring a forged X-Forwarded-For', async () => {
    const { gatehouse, logger } = setup();
    const forged = new Request('http://localhost/api/notes', {
      headers: { 'x-forwarded-for': '1.1.1.1' },
    });
    await gatehouse.handle(notes, forged, { peer: '203.0.113.9' });
    const proxied = new Request('http://localhost/api/notes', {
      headers: { 'x-forwarded-for': '198.51.100.4' },
    });
    await gatehouse.handle(notes, proxied, { peer: '10.0.0.1' });

    const addresses = logger.lines.map((line) => line.fields.clientIp);
    expect(addresses).toEqual(['203.0.113.9', '198.51.100.4']);
  });
});

describe('methods', () => {
  it('answers an undeclared method with 405, Allow, and a problem', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      new Request('http://localhost/api/notes', { method: 'PUT' }),
    );

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    expect((await problemOf(response)).type).toBe('urn:gatehouse:problem:method-not-allowed');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      note,
      new Request('http://localhost/x', { method: 'OPTIONS' }),
    );

    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS');
  });

  it('answers HEAD like GET, without a body', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      new Request('http://localhost/api/notes', { method: 'HEAD' }),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('');
  });

  it('answers an unknown path with a 404 problem', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.notFound(
      new Request('http://localhost/api/nope', { method: 'DELETE' }),
    );

    expect(response.status).toBe(404);
    expect((await problemOf(response)).type).toBe('urn:gatehouse:problem:not-found');
  });
});

describe('validation', () => {
  it('refuses a bad path parameter with 400 before the handler runs', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(note, new Request('http://localhost/x'), {
      params: { id: '1 OR 1=1' },
    });
    const body = await problemOf(response);

    expect(response.status).toBe(400);
    expect(body.type).toBe('urn:gatehouse:problem:invalid-request');
    expect(body.errors).toEqual([
      { path: 'params.id', code: 'invalid_format', message: 'Must be a UUID.' },
    ]);
  });

  it('refuses unknown query parameters and reports query issues together', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      new Request('http://localhost/api/notes?limit=0&admin=1'),
    );
    const body = await problemOf(response);

    expect(body.errors).toEqual([
      { path: 'query.limit', code: 'too_small', message: 'Must be at least 1.' },
      { path: 'query.admin', code: 'unrecognized_key', message: 'This field is not allowed.' },
    ]);
  });

  it('refuses mass assignment: every unknown body key is named', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      post('{"title":"t","body":"b","id":"x","role":"admin"}'),
    );
    const body = await problemOf(response);

    expect(response.status).toBe(400);
    expect(body.errors?.map((issue) => [issue.path, issue.code])).toEqual([
      ['body.id', 'unrecognized_key'],
      ['body.role', 'unrecognized_key'],
    ]);
  });

  it('uses the schema message when it has one, and the layer wording otherwise', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(notes, post('{"title":"","body":5}'));

    expect((await problemOf(response)).errors).toEqual([
      { path: 'body.title', code: 'too_small', message: 'Give the note a title.' },
      { path: 'body.body', code: 'invalid_type', message: 'Expected string.' },
    ]);
  });

  it.each([
    ['malformed JSON', '{"title": "t",', 'malformed_json'],
    ['an empty body', '', 'malformed_json'],
    ['a duplicate key', '{"title":"a","title":"b","body":""}', 'duplicate_key'],
    ['a __proto__ key', '{"title":"a","body":"","__proto__":{"admin":true}}', 'forbidden_key'],
    [
      'a constructor.prototype key',
      '{"constructor":{"prototype":{"admin":true}}}',
      'forbidden_key',
    ],
  ])('refuses %s with a 400 problem', async (_name, text, code) => {
    const { gatehouse } = setup();
    const body = await problemOf(await gatehouse.handle(notes, post(text)));

    expect(body.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe(code);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const { gatehouse } = setup();
    const body = await problemOf(
      await gatehouse.handle(notes, post(new Uint8Array([0x7b, 0xff, 0x7d]))),
    );

    expect(body.errors?.[0]?.code).toBe('invalid_encoding');
  });

  it.each([
    ['no content type', undefined],
    ['text/plain', 'text/plain'],
    ['form encoding', 'application/x-www-form-urlencoded'],
    ['JSON in Latin-1', 'application/json; charset=iso-8859-1'],
    ['a malformed media type', 'application/json; ;;'],
  ])('answers %s with 415 and Accept-Post', async (_name, type) => {
    const { gatehouse } = setup();
    const request = new Request('http://localhost/api/notes', {
      method: 'POST',
      body: '{"title":"t","body":"b"}',
      headers: type === undefined ? {} : { 'content-type': type },
    });
    if (type === undefined) request.headers.delete('content-type');
    const response = await gatehouse.handle(notes, request);

    expect(response.status).toBe(415);
    expect(response.headers.get('accept-post')).toBe('application/json');
    expect((await problemOf(response)).type).toBe('urn:gatehouse:problem:unsupported-media-type');
  });

  it('accepts JSON declared as UTF-8 in any case', async () => {
    const { gatehouse } = setup();
    const response = await gatehouse.handle(
      notes,
      post('{"title":"t","body":"b"}', { 'content-type': 'Application/JSON; Charset="UTF-8"' }),
    );
    expect(response.status).toBe(201);
  });
});

describe('body size', () => {
  it('refuses a declared length over the limit without reading the body', async () => {
    const { gatehouse } = setup();
    let pulled = false;
    const stream = new ReadableStream(
      {
        pull(controller) {
          pulled = true;
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const response = await gatehouse.handle(notes, post(stream, { 'content-length': '1001' }));

    expect(response.status).toBe(413);
    expect((await problemOf(response)).type).toBe('urn:gatehouse:problem:payload-too-large');
    expect(pulled).toBe(false);
  });

  it('stops reading an endless body as soon as it passes the limit', async () => {
    const { gatehouse } = setup();
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 256;
        controller.enqueue(new Uint8Array(256).fill(0x20));
      },
    });
    const response = await gatehouse.handle(notes, post(endless));

    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(1_000 + 256 * 3);
  });

  it('accepts a body exactly at the limit', async () => {
    const { gatehouse } = setup();
    const text = JSON.stringify({ title: 't', body: 'x'.repeat(1_000 - 23) });
    expect(new TextEncoder().encode(text).byteLength).toBe(1_000);

    expect((await gatehouse.handle(notes, post(text))).status).toBe(201);
  });
});

describe('unexpected errors', () => {
  it('become a 500 problem with the request id and nothing internal; the log has the error', async () => {
    const { gatehouse, logger } = setup();
    const response = await gatehouse.handle(
      note,
      new Request('http://localhost/x', { method: 'DELETE' }),
      {
        params: { id: ID },
      },
    );
    const text = await response.text();

    expect(response.status).toBe(500);
    expect(text).not.toMatch(/ECONNREFUSED|\/srv\/|at |Error/);
    expect(JSON.parse(text)).toMatchObject({ type: 'urn:gatehouse:problem:internal', status: 500 });

    const logged = logger.lines.find((line) => line.level === 'error');
    expect(logged?.fields.err).toBeInstanceOf(Error);
    expect(logged?.fields.requestId).toBe(response.headers.get('x-request-id'));
  });
});

describe('response headers', () => {
  const reports = defineRoutes('/api/reports', {
    POST: route({
      access: 'public',
      rateLimit: 'reports',
      mediaTypes: ['application/csp-report', 'application/reports+json'],
      body: z.unknown(),
      cors: { allowOrigin: '*', allowHeaders: ['content-type'] },
      handler: () => new Response(null, { status: 204 }),
    }),
  });
  const tokens = defineRoutes('/api/tokens', {
    POST: route({
      access: 'public',
      rateLimit: 'auth',
      noStore: true,
      handler: () =>
        Response.json(
          { token: 't' },
          { headers: { 'cache-control': 'public, max-age=60', 'x-powered-by': 'Express' } },
        ),
    }),
  });

  it('puts the API profile on answers, refusals and errors, over what a handler set', async () => {
    const { gatehouse } = setup();
    const answers = [
      await gatehouse.handle(
        tokens,
        new Request('http://localhost/api/tokens', { method: 'POST' }),
      ),
      await gatehouse.handle(notes, post('{')),
      await gatehouse.handle(notes, new Request('http://localhost/api/notes', { method: 'PUT' })),
      await gatehouse.handle(
        note,
        new Request(`http://localhost/api/notes/${ID}`, { method: 'DELETE' }),
        { params: { id: ID } },
      ),
      await gatehouse.notFound(new Request('http://localhost/api/nothing')),
      await gatehouse.handle(
        defineRoutes('/api/redirect', {
          GET: route({
            access: 'public',
            rateLimit: 'api',
            handler: () => Response.redirect('http://localhost/elsewhere', 302),
          }),
        }),
        new Request('http://localhost/api/redirect'),
      ),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 400, 405, 500, 404, 302]);
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('x-powered-by')).toBeNull();
      expect(answer.headers.get('strict-transport-security')).toBeNull();
    }
    // A route declared noStore overrides the handler's caching; others leave none.
    expect(answers[0]?.headers.get('cache-control')).toBe('no-store');
    expect(answers[1]?.headers.get('cache-control')).toBeNull();
  });

  it('sends HSTS over HTTPS, and over HTTP only when behind a TLS proxy', async () => {
    const plain = createGatehouse();
    const proxied = createGatehouse({ hsts: { behindTlsProxy: true, preload: true } });
    const health = (base: string) => new Request(`${base}/api/nothing`);

    expect(
      (await plain.notFound(health('https://api.test'))).headers.get('strict-transport-security'),
    ).toBe('max-age=63072000; includeSubDomains');
    expect(
      (await plain.notFound(health('http://api.test'))).headers.get('strict-transport-security'),
    ).toBeNull();
    expect(
      (await proxied.notFound(health('http://api.test'))).headers.get('strict-transport-security'),
    ).toBe('max-age=63072000; includeSubDomains; preload');
  });

  it('answers a preflight of a public CORS route, and gives other routes none', async () => {
    const { gatehouse } = setup();
    const preflight = (routes: typeof reports, method: string) =>
      gatehouse.handle(
        routes,
        new Request('http://localhost/x', {
          method: 'OPTIONS',
          headers: { origin: 'https://elsewhere.test', 'access-control-request-method': method },
        }),
      );

    const allowed = await preflight(reports, 'POST');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('*');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(allowed.headers.get('access-control-max-age')).toBe('7200');

    for (const refused of [await preflight(reports, 'DELETE'), await preflight(notes, 'POST')]) {
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused.headers.get('access-control-allow-methods')).toBeNull();
    }
  });

  it('reads the media types a route declares as JSON, and names them in a 415', async () => {
    const { gatehouse } = setup();
    const send = (type: string) =>
      gatehouse.handle(
        reports,
        new Request('http://localhost/api/reports', {
          method: 'POST',
          headers: { 'content-type': type, origin: 'https://elsewhere.test' },
          body: '{"csp-report": {}}',
        }),
      );

    const taken = await send('application/csp-report');
    expect(taken.status).toBe(204);
    expect(taken.headers.get('access-control-allow-origin')).toBe('*');
    expect((await send('application/reports+json; charset=utf-8')).status).toBe(204);

    const refused = await send('application/json');
    expect(refused.status).toBe(415);
    expect(refused.headers.get('accept-post')).toBe(
      'application/csp-report, application/reports+json',
    );
  });
});

describe('CORS', () => {
  const cors = createCorsPolicy({ origins: ['https://app.example.com'], credentials: true });
  const gatehouse = createGatehouse({
    cors,
    crossSite: { origins: ['https://api.example.com'] },
  });
  const preflight = (origin: string, method = 'POST') =>
    gatehouse.handle(
      notes,
      new Request('https://api.example.com/api/notes', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method },
      }),
    );

  it('answers a preflight from an allowed origin with explicit methods, headers and max age', async () => {
    const response = await preflight('https://app.example.com');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type',
    );
    expect(response.headers.get('access-control-max-age')).toBe('7200');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('refuses a preflight from another origin, null, or for a method not served, with 403 and no CORS headers', async () => {
    for (const response of [
      await preflight('https://app.example.com.evil.test'),
      await preflight('null'),
      await preflight('https://app.example.com', 'DELETE'),
    ]) {
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
    }
  });

  it('does not take an OPTIONS without Access-Control-Request-Method for a preflight', async () => {
    const response = await gatehouse.handle(
      notes,
      new Request('https://api.example.com/api/notes', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.test' },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed origin read answers and their rate-limit and request-id headers; no one else', async () => {
    const read = (origin: string) =>
      gatehouse.handle(
        notes,
        new Request('https://api.example.com/api/notes', { headers: { origin } }),
      );

    const allowed = await read('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('ratelimit');

    const other = await read('http://app.example.com');
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toBe('Origin');
  });

  it('refuses a state-changing request with cookies from an origin not allowed to send them', async () => {
    const write = (origin: string, policy = gatehouse) =>
      policy.handle(
        notes,
        post(JSON.stringify({ title: 't', body: 'b' }), { origin, cookie: 'session=1' }),
      );

    const refused = await write('https://evil.test');
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).detail).toBe(
      'Requests with cookies from this origin are refused.',
    );

    expect((await write('https://api.example.com')).status).toBe(201);
    expect((await write('https://app.example.com')).status).toBe(201);
    // Without credentials in the policy, even an allowed origin may not send cookies.
    const noCredentials = createGatehouse({
      cors: createCorsPolicy({ origins: ['https://app.example.com'] }),
    });
    expect((await write('https://app.example.com', noCredentials)).status).toBe(403);
  });
});

describe('internal routes', () => {
  const key = { id: 'billing', secret: new Uint8Array(32).fill(7) };
  const disable = defineRoutes('/api/internal/users/[id]/disable', {
    POST: route({
      access: 'internal',
      rateLimit: 'internal',
      audit: 'user.disable',
      params: z.strictObject({ id: z.uuid() }),
      body: z.strictObject({ reason: z.string() }),
      bodyLimit: 200,
      handler: ({ params, body, service }) =>
        Response.json({ id: params.id, ...body, by: service.keyId }),
    }),
  });

  function internalGatehouse(keys = [key], replay: ReplayStore = createMemoryReplayStore()) {
    const logger = recordingLogger();
    const verifier = createSignatureVerifier({
      keys: async (id) => keys.filter((k) => k.id === id).map((k) => k.secret),
      replay,
    });
    return { logger, gatehouse: createGatehouse({ logger, signedCalls: { verifier } }) };
  }

  const url = `http://localhost/api/internal/users/${ID}/disable`;
  const call = (body: string, headers: Record<string, string> = {}) =>
    new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const params = { params: { id: ID } };

  it('accepts a request signed with a known key, once, and tells the handler which service called', async () => {
    const { gatehouse, logger } = internalGatehouse();
    const signed = await signRequest(call('{"reason":"fraud"}'), key);
    const replay = signed.clone();

    const response = await gatehouse.handle(disable, signed, params);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: ID, reason: 'fraud', by: 'billing' });
    expect(response.headers.get('cache-control')).toBe('no-store');

    const again = await gatehouse.handle(disable, replay, params);
    expect(again.status).toBe(401);
    expect(logger.lines.some((line) => line.fields['event'] === 'authn_signature_replay')).toBe(
      true,
    );
  });

  it('refuses an unsigned request, an unknown key, and a tampered body with 401, logging why', async () => {
    const { gatehouse, logger } = internalGatehouse();
    const tampered = await signRequest(call('{"reason":"fraud"}'), key);
    const forged = new Request(tampered, {
      body: '{"reason":"other"}',
      duplex: 'half',
    } as RequestInit);
    const cases = [
      call('{"reason":"fraud"}'),
      await signRequest(call('{"reason":"fraud"}'), {
        id: 'stranger',
        secret: new Uint8Array(32).fill(1),
      }),
      forged,
    ];
    for (const request of cases) {
      const response = await gatehouse.handle(disable, request, params);
      expect(response.status).toBe(401);
      expect((await problemOf(response)).type).toBe('urn:gatehouse:problem:unauthorized');
    }
    const reasons = logger.lines
      .filter((line) => line.fields['event'] === 'authn_signature_fail')
      .map((line) => line.fields['reason']);
    expect(reasons).toEqual(['missing', 'unknown-key', 'digest']);
  });

  it('answers 503 when the nonce store cannot answer, never accepting the signature', async () => {
    const broken = { claim: () => Promise.reject(new Error('down')) };
    const { gatehouse } = internalGatehouse([key], broken);
    const response = await gatehouse.handle(
      disable,
      await signRequest(call('{"reason":"x"}'), key),
      params,
    );
    expect(response.status).toBe(503);
  });

  it('refuses a body over the route limit before checking anything', async () => {
    const { gatehouse } = internalGatehouse();
    const big = JSON.stringify({ reason: 'x'.repeat(500) });
    const response = await gatehouse.handle(disable, await signRequest(call(big), key), params);
    expect(response.status).toBe(413);
  });

  it('answers 500 for an internal route when the pipeline has no verifier', async () => {
    const response = await createGatehouse().handle(
      disable,
      await signRequest(call('{"reason":"x"}'), key),
      params,
    );
    expect(response.status).toBe(500);
  });
});

describe('audit entries', () => {
  function recorder(available = true) {
    const entries: { entry: AuditRecord; durable: boolean }[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    return {
      entries,
      release,
      available: () => available,
      record: async (entry: AuditRecord, { durable }: { durable: boolean }) => {
        if (durable) await gate;
        entries.push({ entry, durable });
      },
    };
  }

  const actions = defineRoutes('/api/actions', {
    POST: route({
      access: 'public',
      rateLimit: 'api',
      audit: { action: 'action.run', required: true },
      body: z.strictObject({ fail: z.boolean() }),
      handler: ({ body }) =>
        body.fail ? Response.json({ failed: true }, { status: 409 }) : Response.json({ ok: true }),
    }),
    GET: route({
      access: 'public',
      rateLimit: 'api',
      audit: 'action.list',
      handler: () => Response.json([]),
    }),
  });

  it('writes one entry per request, with actor, outcome, reason and request id', async () => {
    const audit = recorder();
    audit.release();
    const gatehouse = createGatehouse({ audit });
    const ok = await gatehouse.handle(
      actions,
      post(JSON.stringify({ fail: false }), { 'user-agent': 'ua\u0007' }),
    );
    await gatehouse.handle(actions, post(JSON.stringify({ fail: true })));
    await gatehouse.handle(actions, post('{'));
    await gatehouse.handle(actions, new Request('http://localhost/api/actions'));

    expect(audit.entries.map(({ entry }) => [entry.action, entry.outcome, entry.reason])).toEqual([
      ['action.run', 'success', undefined],
      ['action.run', 'failure', 'conflict'],
      ['action.run', 'failure', 'invalid-request'],
      ['action.list', 'success', undefined],
    ]);
    const [first] = audit.entries;
    expect(first?.entry).toMatchObject({
      actor: { kind: 'anonymous' },
      resource: 'POST /api/notes',
      requestId: ok.headers.get('x-request-id'),
      userAgent: 'ua\u0007',
    });
    expect(Date.parse(first?.entry.timestamp ?? '')).not.toBeNaN();
    expect(audit.entries.map((e) => e.durable)).toEqual([true, true, true, false]);
  });

  it('waits for a durable entry before answering', async () => {
    const audit = recorder();
    const gatehouse = createGatehouse({ audit });
    let answered = false;
    const pending = gatehouse.handle(actions, post(JSON.stringify({ fail: false }))).then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    audit.release();
    await pending;
    expect(audit.entries).toHaveLength(1);
  });

  it('refuses a required action with 503, without running it, while entries cannot be recorded', async () => {
    const audit = recorder(false);
    audit.release();
    const response = await createGatehouse({ audit }).handle(
      actions,
      post(JSON.stringify({ fail: false })),
    );
    expect(response.status).toBe(503);
    expect(audit.entries).toEqual([]);
  });

  it('logs an entry that cannot be recorded, and still answers', async () => {
    const logger = recordingLogger();
    const gatehouse = createGatehouse({
      logger,
      audit: { available: () => true, record: () => Promise.reject(new Error('disk full')) },
    });
    const response = await gatehouse.handle(actions, new Request('http://localhost/api/actions'));
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(logger.lines.some((line) => line.message === 'audit entry not recorded')).toBe(true);
  });

  it('refuses to declare a route that is not public without an audit action', () => {
    expect(() =>
      defineRoutes('/api/secret', {
        GET: route({ access: 'user', rateLimit: 'api', handler: () => new Response() }),
      }),
    ).toThrow(/needs an audit action/);
  });
});
