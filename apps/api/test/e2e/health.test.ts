import { request } from 'node:http';

import { describe, expect, it } from 'vitest';

import { embedded, problemBody } from './support.js';

describe('GET /api/health', () => {
  it('answers 200 {"status":"ok"} with a request id and no framework fingerprint', async () => {
    const response = await fetch(`${embedded.url}/api/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('answers HEAD without a body', async () => {
    const response = await fetch(`${embedded.url}/api/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('answers an undeclared method with 405, Allow and a problem', async () => {
    const response = await fetch(`${embedded.url}/api/health`, { method: 'DELETE' });
    const body = await problemBody(response);

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(body).toMatchObject({ type: 'urn:gatehouse:problem:method-not-allowed', status: 405 });
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const response = await fetch(`${embedded.url}/api/health`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('requests no route can serve', () => {
  it('answers unknown /api paths with a 404 problem, for every method', async () => {
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
      const response = await fetch(`${embedded.url}/api/no/such/thing`, { method });
      expect(response.status).toBe(404);
      expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:not-found');
    }
  });

  it('answers a method the server does not implement with a 501 problem', async () => {
    const response = await fetch(`${embedded.url}/api/health`, { method: 'PROPFIND' });
    expect(response.status).toBe(501);
    expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:not-implemented');
  });

  it('answers a path with broken percent-encoding with a 400 problem, not a 500', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const url = new URL(embedded.url);
      const req = request({ host: url.hostname, port: url.port, path: '/api/notes/%ZZ' });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });
});
