import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import {
  bearer,
  embedded,
  limited,
  problemBody,
  reportOnly,
  sendJson,
  signUp,
  type Session,
} from './support.js';

/** The API profile, header by header, exactly as every API answer must carry it. */
const API_PROFILE = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

const HSTS = 'max-age=63072000; includeSubDomains';

function expectApiProfile(response: Response, label: string) {
  for (const [name, value] of Object.entries(API_PROFILE)) {
    expect(response.headers.get(name), `${label}: ${name}`).toBe(value);
  }
  const permissions = response.headers.get('permissions-policy') ?? '';
  for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()']) {
    expect(permissions, `${label}: permissions-policy`).toContain(feature);
  }
  expectNoFingerprint(response, label);
}

function expectNoFingerprint(response: Response, label: string) {
  expect(response.headers.get('x-powered-by'), `${label}: x-powered-by`).toBeNull();
  expect(response.headers.get('server'), `${label}: server`).toBeNull();
  const vary = response.headers.get('vary') ?? '';
  expect(vary, `${label}: vary`).not.toMatch(/rsc|next-/i);
  for (const name of response.headers.keys()) {
    expect(name, `${label}: ${name}`).not.toMatch(/^x-nextjs-/);
  }
}

let user: Session | undefined;
async function session(): Promise<Session> {
  user ??= await signUp(embedded.url);
  return user;
}

describe('the API profile', () => {
  it('is on every route and every error path', async () => {
    const base = embedded.url;
    const me = await session();
    const cases: [string, () => Promise<Response>, number][] = [
      ['health', () => fetch(`${base}/api/health`), 200],
      ['HEAD health', () => fetch(`${base}/api/health`, { method: 'HEAD' }), 200],
      ['jwks', () => fetch(`${base}/.well-known/jwks.json`), 200],
      ['me', () => fetch(`${base}/api/me`, { headers: bearer(me) }), 200],
      ['notes list', () => fetch(`${base}/api/notes`, { headers: bearer(me) }), 200],
      ['no token', () => fetch(`${base}/api/notes`), 401],
      ['not an admin', () => fetch(`${base}/api/admin/users`, { headers: bearer(me) }), 403],
      ['unknown path', () => fetch(`${base}/api/nothing/here`), 404],
      ['unknown method', () => fetch(`${base}/api/health`, { method: 'DELETE' }), 405],
      ['OPTIONS', () => fetch(`${base}/api/notes`, { method: 'OPTIONS' }), 204],
      [
        'preflight',
        () =>
          fetch(`${base}/api/csp-reports`, {
            method: 'OPTIONS',
            headers: { origin: 'https://elsewhere.test', 'access-control-request-method': 'POST' },
          }),
        204,
      ],
      ['malformed JSON', () => sendJson(base, '/api/notes', 'POST', '{"title":', bearer(me)), 400],
      [
        'wrong media type',
        () =>
          fetch(`${base}/api/notes`, {
            method: 'POST',
            headers: { ...bearer(me), 'content-type': 'text/plain' },
            body: 'x',
          }),
        415,
      ],
      [
        'too large',
        () => sendJson(base, '/api/notes', 'POST', { title: 'x'.repeat(200_000) }, bearer(me)),
        413,
      ],
      ['undecodable path', () => fetch(`${base}/api/%zz`), 400],
      ['method nobody implements', () => fetch(`${base}/api/health`, { method: 'PROPFIND' }), 501],
      [
        'wrong password',
        () => sendJson(base, '/api/auth/login', 'POST', { email: 'x@example.test', password: 'y' }),
        401,
      ],
    ];

    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/auth/password',
      '/api/auth/password/forgot',
      '/api/auth/password/reset',
    ]) {
      cases.push([`${path}, bad body`, () => sendJson(base, path, 'POST', {}, bearer(me)), 400]);
    }
    cases.push(
      // Cookie routes refuse a request that does not show it comes from the app's own pages.
      ['refresh, no origin', () => fetch(`${base}/api/auth/refresh`, { method: 'POST' }), 403],
      ['logout, no origin', () => fetch(`${base}/api/auth/logout`, { method: 'POST' }), 403],
      [
        'a note that is not there',
        () =>
          fetch(`${base}/api/notes/00000000-0000-4000-8000-000000000000`, { headers: bearer(me) }),
        404,
      ],
    );

    for (const [label, send, status] of cases) {
      const response = await send();
      expect(response.status, label).toBe(status);
      expectApiProfile(response, label);
      await response.arrayBuffer();
    }
  });

  it('is on 429 answers', async () => {
    const client = { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 200) + 20}` };
    let response: Response | undefined;
    for (let i = 0; i < 12 && response?.status !== 429; i += 1) {
      response = await sendJson(
        limited.url,
        '/api/auth/login',
        'POST',
        { email: `flood-${i}@example.test`, password: 'not the password' },
        client,
      );
    }
    expect(response?.status).toBe(429);
    expectApiProfile(response as Response, '429');
    expect(response?.headers.get('cache-control')).toBe('no-store');
  });

  it('marks authenticated answers and every auth-route answer no-store, and nothing else', async () => {
    const base = embedded.url;
    const me = await session();
    const noStore = [
      await fetch(`${base}/api/me`, { headers: bearer(me) }),
      await fetch(`${base}/api/notes`, { headers: bearer(me) }),
      await sendJson(base, '/api/auth/login', 'POST', { email: 'x@example.test', password: 'y' }),
      await sendJson(base, '/api/auth/register', 'POST', { email: 'bad' }),
      await fetch(`${base}/api/auth/refresh`, { method: 'POST' }),
      await sendJson(base, '/api/auth/password/forgot', 'POST', { email: 'x@example.test' }),
    ];
    for (const response of noStore) {
      expect(response.headers.get('cache-control'), response.url).toBe('no-store');
    }

    expect((await fetch(`${base}/api/health`)).headers.get('cache-control')).toBeNull();
    // A public, cacheable document keeps the caching its route chose.
    expect((await fetch(`${base}/.well-known/jwks.json`)).headers.get('cache-control')).toBe(
      'public, max-age=300',
    );
  });
});

/** The nonce of a page's CSP header, and the nonces on the `<script>` tags of its HTML. */
async function pageNonces(url: string, header = 'content-security-policy') {
  const response = await fetch(url);
  const policy = response.headers.get(header) ?? '';
  const html = await response.text();
  const inHeader = [...policy.matchAll(/'nonce-([^']+)'/g)].map((match) => match[1]);
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
  const inScripts = scripts.map((tag) => /\snonce="([^"]*)"/.exec(tag)?.[1]);
  return { response, policy, inHeader, scripts, inScripts };
}

describe('the page profile', () => {
  it.each(['/', '/notes/new', '/no/such/page'])(
    '%s has a strict nonce CSP whose nonce is on every script Next.js renders',
    async (path) => {
      const { response, policy, inHeader, scripts, inScripts } = await pageNonces(
        `${embedded.url}${path}`,
      );
      expect(response.headers.get('content-type')).toContain('text/html');

      const nonce = inHeader[0] as string;
      // At least 128 bits, standard base64.
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22,}={0,2}$/);
      expect(Buffer.from(nonce, 'base64').length).toBeGreaterThanOrEqual(16);
      expect(new Set(inHeader)).toEqual(new Set([nonce]));
      expect(scripts.length).toBeGreaterThan(0);
      expect(inScripts).toEqual(scripts.map(() => nonce));

      expect(policy).toContain(`script-src 'nonce-${nonce}' 'strict-dynamic'`);
      for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
        expect(policy).toContain(directive);
      }
      expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(policy).toContain('report-uri /api/csp-reports');
      expect(policy).toContain('report-to csp');
      expect(response.headers.get('reporting-endpoints')).toBe('csp="/api/csp-reports"');
      expect(response.headers.get('content-security-policy-report-only')).toBeNull();

      for (const name of Object.keys(API_PROFILE).filter((n) => n !== 'content-security-policy')) {
        expect(response.headers.get(name), name).toBe(
          API_PROFILE[name as keyof typeof API_PROFILE],
        );
      }
      expect(response.headers.get('x-powered-by')).toBeNull();
    },
  );

  it('makes a new nonce for every response', async () => {
    const nonces = await Promise.all(
      Array.from({ length: 20 }, async () => (await pageNonces(`${embedded.url}/`)).inHeader[0]),
    );
    expect(new Set(nonces).size).toBe(20);
  });

  it('ignores a nonce or policy a client sends in its own request headers', async () => {
    const response = await fetch(`${embedded.url}/`, {
      headers: { 'x-nonce': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-security-policy': 'script-src *' },
    });
    const html = await response.text();
    expect(response.headers.get('content-security-policy')).not.toContain('AAAAAAAAAAAAAAAAAAAAAA');
    expect(html).not.toContain('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('gives static files the shared security headers', async () => {
    const html = await (await fetch(`${embedded.url}/`)).text();
    const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const response = await fetch(`${embedded.url}${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('in report-only mode sends the policy report-only, with the same nonce on the scripts', async () => {
    const { response, inHeader, inScripts } = await pageNonces(
      `${reportOnly.url}/`,
      'content-security-policy-report-only',
    );
    expect(response.headers.get('content-security-policy')).toBeNull();
    expect(inHeader.length).toBeGreaterThan(0);
    expect(new Set(inScripts)).toEqual(new Set([inHeader[0]]));
  });
});

describe('HSTS', () => {
  it('is never sent over plain HTTP by a server not behind a TLS proxy', async () => {
    for (const path of ['/api/health', '/', '/api/nothing']) {
      const response = await fetch(`${embedded.url}${path}`);
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('is sent on pages and API answers when the public URL is https (TLS ends at a proxy)', async () => {
    for (const path of ['/api/health', '/', '/api/nothing']) {
      const response = await fetch(`${reportOnly.url}${path}`);
      expect(response.headers.get('strict-transport-security'), path).toBe(HSTS);
    }
  });
});

const cspReport = (path: string, blocked = 'inline') => ({
  'csp-report': {
    'document-uri': `${embedded.url}${path}?token=secret#frag`,
    referrer: '',
    'violated-directive': 'script-src-elem',
    'effective-directive': 'script-src-elem',
    'original-policy': "default-src 'self'",
    disposition: 'enforce',
    'blocked-uri': blocked,
    'status-code': 200,
  },
});

const reportingBatch = (path: string) => [
  {
    type: 'csp-violation',
    age: 10,
    url: `${embedded.url}${path}`,
    user_agent: 'Chromium',
    body: {
      documentURL: `${embedded.url}${path}`,
      blockedURL: 'https://tracker.example/pixel.js?id=1',
      effectiveDirective: 'script-src-elem',
      originalPolicy: "default-src 'self'",
      disposition: 'report',
      statusCode: 200,
    },
  },
  { type: 'deprecation', age: 1, url: `${embedded.url}${path}`, body: { id: 'x' } },
  {
    type: 'csp-violation',
    age: 10,
    url: `${embedded.url}${path}`,
    body: {
      documentURL: `${embedded.url}${path}`,
      blockedURL: 'chrome-extension://abcdefghijklmnop/inject.js',
      effectiveDirective: 'script-src-elem',
      disposition: 'report',
    },
  },
];

function post(
  base: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
) {
  return fetch(`${base}/api/csp-reports`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
}

interface ReportOutput {
  groups: {
    directive: string;
    blockedOrigin: string;
    documentPath: string;
    count: number;
    extension: boolean;
    disposition: string;
  }[];
  pageViews: number;
}

/** `gatehouse csp report --json` against a server's deployment. */
function cspReportOf(env: Record<string, string>, args: string[] = []) {
  const result = spawnSync('npx', ['gatehouse', 'csp', 'report', '--json', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: result.status, output: JSON.parse(result.stdout || 'null') as ReportOutput };
}

describe('the CSP report collector', () => {
  it('takes application/csp-report and application/reports+json and counts them by group', async () => {
    const path = `/collector-${crypto.randomUUID()}`;
    const one = await post(embedded.url, JSON.stringify(cspReport(path)), 'application/csp-report');
    expect(one.status).toBe(204);
    const again = await post(
      embedded.url,
      JSON.stringify(cspReport(path)),
      'application/csp-report',
    );
    expect(again.status).toBe(204);
    const batch = await post(
      embedded.url,
      JSON.stringify(reportingBatch(path)),
      'application/reports+json',
    );
    expect(batch.status).toBe(204);

    const { status, output } = cspReportOf(embedded.env);
    expect(status).toBe(1); // not ready: first-party violations in the period
    const groups = output.groups.filter((group) => group.documentPath === path);
    expect(groups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ blockedOrigin: 'inline', count: 2, disposition: 'enforce' }),
        expect.objectContaining({
          blockedOrigin: 'https://tracker.example',
          count: 1,
          disposition: 'report',
          extension: false,
        }),
        expect.objectContaining({ blockedOrigin: 'chrome-extension', extension: true }),
      ]),
    );
    // No query, fragment or full URL of the page or the blocked resource is kept.
    expect(JSON.stringify(output)).not.toContain('secret');
    expect(JSON.stringify(output)).not.toContain('pixel.js');
  });

  it('refuses malformed, mistyped and oversized reports with a problem, and stores nothing', async () => {
    const path = `/refused-${crypto.randomUUID()}`;
    const malformed = await post(embedded.url, '{"csp-report": {', 'application/csp-report');
    expect(malformed.status).toBe(400);
    await problemBody(malformed);

    const wrongShape = await post(
      embedded.url,
      JSON.stringify({ 'csp-report': 5 }),
      'application/csp-report',
    );
    expect(wrongShape.status).toBe(400);
    expect((await problemBody(wrongShape)).errors?.length).toBeGreaterThan(0);

    const notAnArray = await post(
      embedded.url,
      JSON.stringify(cspReport(path)),
      'application/reports+json',
    );
    expect(notAnArray.status).toBe(400);

    const text = await post(embedded.url, JSON.stringify(cspReport(path)), 'text/plain');
    expect(text.status).toBe(415);
    expect(text.headers.get('accept-post')).toBe(
      'application/csp-report, application/reports+json',
    );

    const huge = cspReport(path);
    huge['csp-report']['original-policy'] = 'x'.repeat(70_000);
    const oversized = await post(embedded.url, JSON.stringify(huge), 'application/csp-report');
    expect(oversized.status).toBe(413);
    await problemBody(oversized);

    const { output } = cspReportOf(embedded.env);
    expect(output.groups.filter((group) => group.documentPath === path)).toEqual([]);
  });

  it('answers cross-origin uploads and their preflights for any origin, without credentials', async () => {
    const preflight = await fetch(`${embedded.url}/api/csp-reports`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://elsewhere.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(preflight.headers.get('access-control-max-age')).toBe('7200');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const upload = await post(
      embedded.url,
      JSON.stringify(reportingBatch(`/cors-${crypto.randomUUID()}`)),
      'application/reports+json',
      { origin: 'https://elsewhere.test' },
    );
    expect(upload.status).toBe(204);
    expect(upload.headers.get('access-control-allow-origin')).toBe('*');

    // Other routes answer no preflight: no CORS headers, which a browser takes as a refusal.
    const other = await fetch(`${embedded.url}/api/notes`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.test', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rate-limits a flood of reports from one address', async () => {
    const client = { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 200) + 20}` };
    const body = JSON.stringify(cspReport(`/flood-${crypto.randomUUID()}`));
    const statuses: number[] = [];
    for (let i = 0; i < 130; i += 1) {
      const response = await post(limited.url, body, 'application/csp-report', client);
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        await problemBody(response);
      } else await response.arrayBuffer();
    }
    expect(statuses.filter((status) => status === 204)).toHaveLength(120);
    expect(statuses.slice(120).every((status) => status === 429)).toBe(true);
  });
});
