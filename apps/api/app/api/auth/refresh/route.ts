import { readRefreshCookie } from 'gatehouse/auth';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { grantResponse, withClearedRefreshCookie } from '@/lib/grant';

const refresh = defineRoutes('/api/auth/refresh', {
  POST: route({
    access: 'public',
    sameSiteOnly: true,
    rateLimit: 'auth-refresh',
    noStore: true,
    audit: 'session.refresh',
    handler: async ({ request, ctx }) => {
      const token = readRefreshCookie(request);
      const result = token ? await (await getAuth()).service.refresh(token) : undefined;
      if (result?.ok) return grantResponse(result.grant);

      return withClearedRefreshCookie(
        ctx.problem('unauthorized', { status: 401, detail: 'Sign in again.' }),
      );
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, refresh);
