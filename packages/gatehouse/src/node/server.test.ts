import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createGatehouse } from '../pipeline/gatehouse.js';
import { defineRoutes, route } from '../pipeline/route.js';
import { recordingLogger } from '../pipeline/test-support.js';
import { createNodeListener } from './server.js';

const logger = recordingLogger();
const gatehouse = createGatehouse({ logger });
const echo = defineRoutes('/api/echo/[name]', {
  POST: route({
    access: 'public',
    rateLimit: 'api',
    params: z.strictObject({ name: z.string().max(20) }),
    body: z.strictObject({ text: z.string() }),
    handler: ({ params, body }) => Response.json({ name: params.name, text: body.text }),
  }),
});
const files = defineRoutes('/api/files/[...path]', {
  GET: route({
    access: 'public',
    rateLimit: 'api',
    params: z.strictObject({ path: z.array(z.string()) }),
    handler: ({ params }) => Response.json(params.path),
  }),
});

const blob = defineRoutes('/api/blob/[size]', {
  GET: route({
    access: 'public',
    rateLimit: 'api',
    params: z.strictObject({ size: z.coerce.number().int().min(0).max(1_000_000) }),
    handler: ({ params }) => new Response('x'.repeat(params.size)),
  }),
});

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(
    createNodeListener(gatehouse, [echo, files, blob], { origin: 'http://api.test' }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the node:http adapter', () => {
  it('routes by path template and passes decoded parameters and the body', async () => {
    const response = await fetch(`${base}/api/echo/caf%C3%A9`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'café', text: 'hi' });
  });

  it('matches catch-all segments', async () => {
    const response = await fetch(`${base}/api/files/a/b/c.txt`);
    expect(await response.json()).toEqual(['a', 'b', 'c.txt']);
  });

  it('answers unknown paths with the 404 problem', async () => {
    const response = await fetch(`${base}/api/elsewhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('takes the client address from the socket and ignores a forged X-Forwarded-For', async () => {
    logger.lines.length = 0;
    await fetch(`${base}/api/files/x`, { headers: { 'x-forwarded-for': '6.6.6.6' } });

    expect(logger.lines.at(-1)?.fields.clientIp).toBe('127.0.0.1');
  });

  function rawRequest(method: string, path: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/`, { method, path, headers });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses an absolute-form target instead of believing its host', async () => {
    const answer = await rawRequest('GET', 'http://evil.test/api/files/x', { host: 'evil.test' });

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      type: 'urn:gatehouse:problem:invalid-request',
    });
  });

  it('builds the URL from the configured origin, not from the Host header', async () => {
    const answer = await rawRequest('GET', '/api/files/x', { host: 'evil.test' });
    expect(answer.status).toBe(200);
  });

  it('refuses a path with broken percent-encoding with a 400 problem', async () => {
    const answer = await rawRequest('GET', '/api/files/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).errors).toEqual([
      { path: 'path', code: 'malformed_path', message: 'The path is not valid.' },
    ]);
  });

  it('answers a method nobody implements with a 501 problem carrying a request id', async () => {
    const answer = await rawRequest('PROPFIND', '/api/files/x');
    const body = JSON.parse(answer.body) as { type: string; requestId: string };

    expect(answer.status).toBe(501);
    expect(body.type).toBe('urn:gatehouse:problem:not-implemented');
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a streamed body over the limit with 413', async () => {
    const response = await fetch(`${base}/api/echo/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(200_000) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
  });

  it('sends a short body whole with Content-Length, and streams a long one intact', async () => {
    const short = await fetch(`${base}/api/blob/100`);
    expect(short.headers.get('content-length')).toBe('100');
    expect(short.headers.get('transfer-encoding')).toBeNull();
    expect(await short.text()).toHaveLength(100);

    const long = await fetch(`${base}/api/blob/300000`);
    expect(long.headers.get('content-length')).toBeNull();
    expect(await long.text()).toBe('x'.repeat(300_000));
  });
});
