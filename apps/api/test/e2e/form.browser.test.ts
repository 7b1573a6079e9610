import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from './browser.js';
import { bearer, embedded, sendJson, signIn, type Session } from './support.js';

let browser: Browser;
let page: Page;
const posts: string[] = [];
const email = `browser-${crypto.randomUUID()}@example.test`;
const password = 'a passphrase typed in Chromium';
let apiSession: Session;

beforeAll(async () => {
  const registered = await sendJson(embedded.url, '/api/auth/register', 'POST', {
    email,
    password,
  });
  expect(registered.status).toBe(201);
  apiSession = await signIn(embedded.url, email, password);

  browser = await launchChromium();
  page = await browser.newPage();
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  await page.goto(`${embedded.url}/notes/new`);
});

afterAll(async () => {
  await browser?.close();
});

async function submit(title: string, body: string) {
  await page.fill('#title', title);
  await page.fill('#body', body);
  await page.click('button[type=submit]');
}

describe('signing in, in Chromium', () => {
  it('asks to sign in when there is no session, and refuses a malformed address without a request', async () => {
    await page.waitForSelector('form[aria-label="Sign in"]');
    posts.length = 0;
    await page.fill('#email', 'not-an-address');
    await page.fill('#password', password);
    await page.click('button[type=submit]');

    await page.waitForFunction(() => document.querySelector('.error')?.textContent !== '');
    expect(posts).toEqual([]);
  });

  it('signs in, and the refresh cookie is stored httpOnly, Secure and SameSite=Strict', async () => {
    await page.fill('#email', email);
    await page.click('button[type=submit]');
    await page.waitForSelector('form[aria-label="New note"]');

    const cookies = await page.context().cookies();
    const refresh = cookies.find((cookie) => cookie.name === '__Host-gatehouse-refresh');
    expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('gatehouse-refresh');
  });

  it('resumes the session from the cookie after a reload', async () => {
    await page.reload();
    await page.waitForSelector('form[aria-label="New note"]');
    expect(posts).toContain('/api/auth/refresh');
  });
});

describe('the new-note form, in Chromium', () => {
  it('refuses an empty title before submitting, with the message the API returns', async () => {
    posts.length = 0;
    await submit('   ', 'some text');
    await page.waitForFunction(() => document.querySelector('#title-error')?.textContent !== '');

    const shown = await page.textContent('#title-error');
    const api = await sendJson(
      embedded.url,
      '/api/notes',
      'POST',
      { title: '   ', body: 'x' },
      bearer(apiSession),
    );
    const apiMessage = ((await api.json()) as { errors: { message: string }[] }).errors[0]?.message;

    expect(shown).toBe('Give the note a title.');
    expect(shown).toBe(apiMessage);
    expect(posts).toEqual([]);
  });

  it('shows the API message for a title that is too long, again without a request', async () => {
    posts.length = 0;
    await submit('t'.repeat(201), '');
    await page.waitForFunction(() =>
      /200/.test(document.querySelector('#title-error')?.textContent ?? ''),
    );

    const api = await sendJson(
      embedded.url,
      '/api/notes',
      'POST',
      {
        title: 't'.repeat(201),
        body: '',
      },
      bearer(apiSession),
    );
    const apiMessage = ((await api.json()) as { errors: { message: string }[] }).errors[0]?.message;

    expect(await page.textContent('#title-error')).toBe(apiMessage);
    expect(posts).toEqual([]);
  });

  it('submits a valid note, which the API then serves', async () => {
    posts.length = 0;
    await submit('From the browser', 'written in Chromium');
    await page.waitForFunction(() =>
      /Saved as/.test(document.querySelector('.status')?.textContent ?? ''),
    );

    const status = (await page.textContent('.status')) ?? '';
    const id = /Saved as ([0-9a-f-]{36})/.exec(status)?.[1];
    expect(posts).toEqual(['/api/notes']);
    expect(await page.textContent('#title-error')).toBe('');

    const stored = await fetch(`${embedded.url}/api/notes/${id}`, { headers: bearer(apiSession) });
    expect(await stored.json()).toMatchObject({
      title: 'From the browser',
      body: 'written in Chromium',
    });
  });
});
