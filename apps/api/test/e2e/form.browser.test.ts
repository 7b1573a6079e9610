import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from './browser.js';
import { embedded, sendJson } from './support.js';

let browser: Browser;
let page: Page;
const posts: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  await page.goto(`${embedded.url}/notes/new`);
  // Hydrated once React has attached its handlers to the form.
  await page.waitForFunction(() =>
    Object.keys(document.querySelector('form') ?? {}).some((key) => key.startsWith('__react')),
  );
});

afterAll(async () => {
  await browser?.close();
});

async function submit(title: string, body: string) {
  await page.fill('#title', title);
  await page.fill('#body', body);
  await page.click('button[type=submit]');
}

describe('the new-note form, in Chromium', () => {
  it('refuses an empty title before submitting, with the message the API returns', async () => {
    posts.length = 0;
    await submit('   ', 'some text');
    await page.waitForFunction(() => document.querySelector('#title-error')?.textContent !== '');

    const shown = await page.textContent('#title-error');
    const api = await sendJson(embedded.url, '/api/notes', 'POST', { title: '   ', body: 'x' });
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

    const api = await sendJson(embedded.url, '/api/notes', 'POST', {
      title: 't'.repeat(201),
      body: '',
    });
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
    expect(posts).toEqual([`${embedded.url}/api/notes`]);
    expect(await page.textContent('#title-error')).toBe('');

    const stored = await fetch(`${embedded.url}/api/notes/${id}`);
    expect(await stored.json()).toMatchObject({
      title: 'From the browser',
      body: 'written in Chromium',
    });
  });
});
