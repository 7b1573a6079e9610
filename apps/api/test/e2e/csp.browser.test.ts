import { spawnSync } from 'node:child_process';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from './browser.js';
import type { ServerUnderTest } from './global-setup.js';
import { embedded, reportOnly } from './support.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A page that records the CSP violations Chromium reports on its console. */
async function watchedPage(): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return { page, violations };
}

const MARK = `injected-${crypto.randomUUID().slice(0, 8)}`;

/**
 * Serves `path` with an inline script added to the HTML, as a stored cross-site scripting flaw
 * would: the same response and CSP, with a `<script>` that carries no nonce.
 *
 * `reportUriOnly` drops `report-to` from the policies, so the browser reports through
 * `report-uri` at once, as browsers without the Reporting API do (Firefox). Chromium prefers
 * `report-to` when a policy names a group, and in our runs its headless build had not uploaded
 * Reporting API reports for a plain-HTTP origin after 75 seconds; the collector's handling of
 * that format is tested over HTTP in headers.test.ts.
 */
async function injectInlineScript(
  page: Page,
  server: ServerUnderTest,
  path: string,
  { reportUriOnly = false } = {},
) {
  await page.route(`${server.url}${path}`, async (route) => {
    const response = await route.fetch();
    const html = await response.text();
    const body = html.replace(
      '</body>',
      `<script>document.documentElement.dataset.injected = '${MARK}';</script></body>`,
    );
    const headers = response.headers();
    if (reportUriOnly) {
      for (const name of ['content-security-policy', 'content-security-policy-report-only']) {
        headers[name] &&= headers[name].replace(/;\s*report-to [^;]+/, '');
      }
    }
    await route.fulfill({ response, body, headers });
  });
}

/** `gatehouse csp report --json` for a server's deployment. */
function reportOf(server: ServerUnderTest) {
  const result = spawnSync('npx', ['gatehouse', 'csp', 'report', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ...server.env },
  });
  return JSON.parse(result.stdout) as {
    groups: {
      directive: string;
      blockedOrigin: string;
      documentPath: string;
      disposition: string;
    }[];
  };
}

async function until<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the enforced page CSP, in Chromium', () => {
  it('loads the pages and hydrates them with no violation', async () => {
    const { page, violations } = await watchedPage();
    await page.goto(`${embedded.url}/`);
    await page.waitForLoadState('networkidle');
    // The sign-in form is rendered by client code: it appears only if the page's scripts ran.
    await page.goto(`${embedded.url}/notes/new`);
    await page.waitForSelector('form[aria-label="Sign in"]');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('blocks an injected inline script without the nonce, and the page still works', async () => {
    const { page, violations } = await watchedPage();
    await injectInlineScript(page, embedded, '/notes/new');
    await page.goto(`${embedded.url}/notes/new`);
    await page.waitForSelector('form[aria-label="Sign in"]');

    expect(await page.evaluate(() => document.documentElement.dataset['injected'])).toBeUndefined();
    expect(violations.some((text) => text.includes('inline script'))).toBe(true);
    await page.close();
  });
});

describe('the report-only page CSP, in Chromium', () => {
  it('lets the injection run, and its violation reaches the collector and the report', async () => {
    const { page, violations } = await watchedPage();
    await injectInlineScript(page, reportOnly, '/', { reportUriOnly: true });
    await page.goto(`${reportOnly.url}/`);
    await page.waitForLoadState('networkidle');

    expect(await page.evaluate(() => document.documentElement.dataset['injected'])).toBe(MARK);
    expect(violations.length).toBeGreaterThan(0);

    const group = await until(() =>
      reportOf(reportOnly).groups.find(
        (g) => g.documentPath === '/' && g.blockedOrigin === 'inline' && g.disposition === 'report',
      ),
    );
    expect(group.directive).toMatch(/^script-src/);

    const text = spawnSync('npx', ['gatehouse', 'csp', 'report', '--since', '1d'], {
      encoding: 'utf8',
      env: { ...process.env, ...reportOnly.env },
    });
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('inline');
    expect(text.stdout).toContain('Verdict: not ready to enforce.');
    await page.close();
  });
});
