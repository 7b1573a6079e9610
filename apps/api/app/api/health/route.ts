import { defineRoutes, route } from 'gatehouse/pipeline';
import { nextHandlers } from 'gatehouse/next';

import { getGatehouse } from '@/lib/gatehouse';

const health = defineRoutes('/api/health', {
  GET: route({
    access: 'public',
    rateLimit: 'health',
    handler: () => Response.json({ status: 'ok' }),
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, health);
