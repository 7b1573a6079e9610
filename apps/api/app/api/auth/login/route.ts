import { normaliseEmail } from 'gatehouse/auth';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { grantResponse } from '@/lib/grant';
import { Credentials } from '@/lib/schemas/auth';

const login = defineRoutes('/api/auth/login', {
  POST: route({
    access: 'public',
    rateLimit: 'auth-login',
    noStore: true,
    audit: { action: 'session.login', durable: true },
    body: Credentials,
    handler: async ({ body, ctx }) => {
      const limited = await ctx.limit('auth-login-account', normaliseEmail(body.email));
      if (limited) return limited;

      const { service } = await getAuth();
      const grant = await service.login(body.email, body.password);
      if (grant) return grantResponse(grant);

      // One answer for an unknown address, a wrong password and a disabled account.
      return ctx.problem('unauthorized', {
        status: 401,
        detail: 'The email address or password is not correct.',
      });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, login);
