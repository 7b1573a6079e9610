import { describe, expect, it } from 'vitest';

import { problem, problemTypes } from './problem.js';

describe('problem details (RFC 9457)', () => {
  it('is application/problem+json with type, title, status and the given members', async () => {
    const response = problem('notFound', {
      status: 404,
      detail: 'No note has this id.',
      requestId: 'r-1',
    });

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'urn:gatehouse:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'No note has this id.',
      requestId: 'r-1',
    });
  });

  it('carries validation issues in errors', async () => {
    const errors = [{ path: 'body.title', code: 'too_small', message: 'Must not be empty.' }];
    const body = await problem('invalidRequest', { status: 400, errors }).json();
    expect(body).toMatchObject({ type: 'urn:gatehouse:problem:invalid-request', errors });
  });

  it('has a stable, distinct type URI and a title for every kind', () => {
    const types = Object.values(problemTypes).map((entry) => entry.type);

    expect(new Set(types).size).toBe(types.length);
    for (const { type, title } of Object.values(problemTypes)) {
      expect(type).toMatch(/^urn:gatehouse:problem:[a-z-]+$/);
      expect(title.length).toBeGreaterThan(0);
    }
  });
});
