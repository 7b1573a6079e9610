import { normaliseEmail } from 'gatehouse/auth';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { PasswordForgot } from '@/lib/schemas/auth';

// Always 202 with the same body: whether the address has an account is never revealed.
const forgot = defineRoutes('/api/auth/password/forgot', {
  POST: route({
    access: 'public',
    rateLimit: 'auth-forgot',
    noStore: true,
    audit: 'account.password_reset_request',
    body: PasswordForgot,
    handler: async ({ body, ctx }) => {
      const limited = await ctx.limit('auth-forgot-account', normaliseEmail(body.email));
      if (limited) return limited;

      await (await getAuth()).service.forgotPassword(body.email);
      return Response.json(
        {
          status: 'accepted',
          detail: 'If the address has an account, a reset link is on its way.',
        },
        { status: 202 },
      );
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, forgot);
