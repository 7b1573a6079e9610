import { describe, expect, it } from 'vitest';

import { embedded } from './support.js';

describe('pages', () => {
  it('serves the home page', async () => {
    const response = await fetch(`${embedded.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Gatehouse reference API');
  });

  it('serves the new-note form', async () => {
    const html = await (await fetch(`${embedded.url}/notes/new`)).text();
    expect(html).toContain('name="title"');
    expect(html).toContain('name="body"');
  });
});
