import { describe, expect, it } from 'vitest';

import { embedded, logLines, sendJson } from './support.js';

async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe('the server log', () => {
  it('has one JSON line per request, with the request id, status and client address', async () => {
    const response = await fetch(`${embedded.url}/api/health`);
    const requestId = response.headers.get('x-request-id');
    await settle();

    const line = logLines(embedded.logFile).find((entry) => entry.requestId === requestId);
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/api/health', status: 200 });
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    const response = await fetch(`${embedded.url}/api/health`, {
      headers: { 'x-forwarded-for': '203.0.113.66', 'x-request-id': 'planted-id' },
    });
    const requestId = response.headers.get('x-request-id');
    expect(requestId).not.toBe('planted-id');
    await settle();

    const line = logLines(embedded.logFile).find((entry) => entry.requestId === requestId);
    expect(line?.clientIp).toBe('127.0.0.1');
  });

  it('never contains request bodies, queries or credentials', async () => {
    await sendJson(embedded.url, '/api/notes', 'POST', { title: 'canary-title-7731', body: 'x' });
    await fetch(`${embedded.url}/api/notes?token=canary-query-7731`, {
      headers: { authorization: 'Bearer canary-token-7731', cookie: 'sid=canary-cookie-7731' },
    });
    await settle();

    const text = JSON.stringify(logLines(embedded.logFile));
    expect(text).not.toContain('canary');
  });
});
