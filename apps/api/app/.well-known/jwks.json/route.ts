import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';

// The public half of every key that may have signed a live access token (RFC 7517).
const jwks = defineRoutes('/.well-known/jwks.json', {
  GET: route({
    access: 'public',
    rateLimit: 'public',
    handler: async () => {
      const { ring } = await getAuth();
      return Response.json(ring.jwks(), { headers: { 'cache-control': 'public, max-age=300' } });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, jwks);
