import { describe, expect, it } from 'vitest';

import { embedded } from './support.js';

describe('pages', () => {
  it('serves the home page', async () => {
    const response = await fetch(`${embedded.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Gatehouse reference API');
  });

  it('serves the new-note page', async () => {
    const html = await (await fetch(`${embedded.url}/notes/new`)).text();
    // The form itself renders in the browser once the session is known (form.browser.test.ts).
    expect(html).toContain('<h1>New note</h1>');
    expect(html).toContain('Checking your session');
  });
});
