import { readRefreshCookie } from 'gatehouse/auth';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { withClearedRefreshCookie } from '@/lib/grant';

const logout = defineRoutes('/api/auth/logout', {
  POST: route({
    access: 'public',
    sameSiteOnly: true,
    rateLimit: 'auth-refresh',
    noStore: true,
    audit: 'session.logout',
    handler: async ({ request }) => {
      const token = readRefreshCookie(request);
      if (token) await (await getAuth()).service.logout(token);
      return withClearedRefreshCookie(new Response(null, { status: 204 }));
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, logout);
