import { describe, expect, it } from 'vitest';

import { bearer, embedded, logLines, sendJson, signUp } from './support.js';

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
    const session = await signUp(embedded.url, 'canary-password-7731');
    await sendJson(
      embedded.url,
      '/api/notes',
      'POST',
      { title: 'canary-title-7731', body: 'x' },
      bearer(session),
    );
    await sendJson(embedded.url, '/api/auth/login', 'POST', {
      email: session.email,
      password: 'canary-wrong-7731',
    });
    await fetch(`${embedded.url}/api/notes?token=canary-query-7731`, {
      headers: { authorization: 'Bearer canary-token-7731', cookie: 'sid=canary-cookie-7731' },
    });
    await settle();

    const text = JSON.stringify(logLines(embedded.logFile));
    expect(text).not.toContain('canary');
    expect(text).not.toContain(session.accessToken);
    expect(text).not.toContain(session.cookie.split('=')[1]);
  });
});
