import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { launchChromium } from './browser.js';
import { embedded } from './support.js';

const pages = inject('corsPages');
const allowed = `http://127.0.0.1:${pages.allowed}`;
const other = `http://127.0.0.1:${pages.other}`;

function preflight(origin: string, method = 'POST', path = '/api/notes') {
  return fetch(`${embedded.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type, x-anything',
    },
  });
}

describe('CORS on the reference API', () => {
  it('answers a preflight from an allowed origin with explicit lists, never reflected', async () => {
    const response = await preflight(allowed);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    // What the request asked for (x-anything) is not echoed back.
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type',
    );
    expect(response.headers.get('access-control-max-age')).toBe('7200');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('allows one label under a pattern, over https only', async () => {
    expect((await preflight('https://app.partner.test')).status).toBe(204);
    for (const origin of [
      'http://app.partner.test',
      'https://a.b.partner.test',
      'https://partner.test',
      'https://app.partner.test.evil.test',
      'https://evilpartner.test',
    ]) {
      const response = await preflight(origin);
      expect(response.status, origin).toBe(403);
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it.each([
    [`${other}`, 'another port'],
    [`https://127.0.0.1:${pages.allowed}`, 'https instead of http'],
    ['null', 'an opaque origin'],
    [`http://127.0.0.1:${pages.allowed}.evil.test`, 'a suffix trick'],
    [`http://evil.test/http://127.0.0.1:${pages.allowed}`, 'a prefix trick'],
  ])('refuses a preflight from %s (%s) with 403 and no CORS headers', async (origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    for (const name of response.headers.keys()) expect(name).not.toMatch(/^access-control-/);
  });

  it('lets an allowed origin read answers, with the rate-limit headers and request id exposed', async () => {
    const response = await fetch(`${embedded.url}/api/health`, { headers: { origin: allowed } });
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    const exposed = response.headers.get('access-control-expose-headers') ?? '';
    for (const name of ['x-request-id', 'ratelimit', 'ratelimit-policy', 'x-ratelimit-remaining']) {
      expect(exposed).toContain(name);
    }
    const refused = await fetch(`${embedded.url}/api/health`, { headers: { origin: other } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a state-changing request with cookies from an origin not on the list', async () => {
    const response = await fetch(`${embedded.url}/api/notes`, {
      method: 'POST',
      headers: { origin: other, cookie: 'anything=1', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(403);
  });

  it('refuses to start with every origin allowed in production', () => {
    const server = fileURLToPath(new URL('../../server.js', import.meta.url));
    const result = spawnSync(process.execPath, [server], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PORT: '39872',
        GATEHOUSE_ENV: 'production',
        GATEHOUSE_PUBLIC_URL: 'https://api.example.test',
        GATEHOUSE_CORS_ORIGINS: '*',
        GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-cors-')),
      },
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('refused in production');
  });
});

/** A page on `port` that fetches the API's health route and shows what it could read. */
function pageServer(port: number): Promise<Server> {
  const html = `<!doctype html><title>client</title><pre id="out">pending</pre><script>
fetch(${JSON.stringify(`${embedded.url}/api/health`)})
  .then(async (r) => { out.textContent = 'read ' + r.status + ' ' + (await r.text()) + ' id=' + r.headers.get('x-request-id'); })
  .catch((e) => { out.textContent = 'blocked ' + e.name; });
</script>`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('CORS in Chromium', () => {
  let browser: Browser;
  const servers: Server[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    servers.push(await pageServer(pages.allowed), await pageServer(pages.other));
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) server.close();
  });

  async function outcome(origin: string): Promise<string> {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'pending');
    const text = (await page.textContent('#out')) ?? '';
    await page.close();
    return text;
  }

  it('a page from an allowed origin reads the answer and its exposed headers', async () => {
    const text = await outcome(allowed);
    expect(text).toMatch(/^read 200 \{"status":"ok"\} id=[0-9a-f-]{36}$/);
  });

  it('a page from another origin cannot read it', async () => {
    expect(await outcome(other)).toBe('blocked TypeError');
  });
});
