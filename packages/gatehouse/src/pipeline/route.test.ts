import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { defineRoutes, route } from './route.js';

const ok = () => new Response(null, { status: 204 });

describe('defineRoutes', () => {
  it('computes Allow from the declared methods', () => {
    const routes = defineRoutes('/api/things', {
      POST: route({ access: 'public', rateLimit: 'api', handler: ok }),
      GET: route({ access: 'public', rateLimit: 'api', handler: ok }),
    });
    expect(routes.allow).toBe('GET, HEAD, OPTIONS, POST');
  });

  it.each([
    [
      'a path parameter without a params schema',
      () =>
        defineRoutes('/api/things/[id]', {
          GET: route({ access: 'public', rateLimit: 'api', handler: ok }),
        }),
    ],
    [
      'a body on GET',
      () =>
        defineRoutes('/api/things', {
          GET: route({ access: 'public', rateLimit: 'api', body: z.object({}), handler: ok }),
        }),
    ],
    [
      'an unknown access level',
      () =>
        defineRoutes('/api/things', {
          GET: { access: 'anyone' as 'public', rateLimit: 'api', handler: ok },
        }),
    ],
    [
      'a missing rate-limit policy',
      () => defineRoutes('/api/things', { GET: { access: 'public', rateLimit: '', handler: ok } }),
    ],
    [
      'a method that cannot be declared',
      () =>
        defineRoutes('/api/things', {
          OPTIONS: route({ access: 'public', rateLimit: 'api', handler: ok }),
        } as never),
    ],
    [
      'a body limit that is not a positive whole number',
      () =>
        defineRoutes('/api/things', {
          POST: route({ access: 'public', rateLimit: 'api', bodyLimit: 0, handler: ok }),
        }),
    ],
  ])('refuses %s when the module loads', (_name, declare) => {
    expect(declare).toThrow(expect.objectContaining({ code: 'ERR_ROUTE_INVALID' }));
  });
});
