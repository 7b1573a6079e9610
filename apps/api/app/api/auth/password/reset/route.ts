import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { PasswordReset } from '@/lib/schemas/auth';

// A reset signs out every session of the account and cancels its other pending reset links.
const reset = defineRoutes('/api/auth/password/reset', {
  POST: route({
    access: 'public',
    rateLimit: 'auth-reset',
    noStore: true,
    audit: { action: 'account.password_reset', durable: true },
    body: PasswordReset,
    handler: async ({ body, ctx }) => {
      const done = await (await getAuth()).service.resetPassword(body.token, body.newPassword);
      if (done) return new Response(null, { status: 204 });

      return ctx.problem('invalidRequest', {
        status: 400,
        detail: 'The reset link is not valid: it was used, it expired, or it never existed.',
        errors: [
          { path: 'body.token', code: 'invalid_token', message: 'This reset link is not valid.' },
        ],
      });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, reset);
