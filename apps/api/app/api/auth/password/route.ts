import { readRefreshCookie } from 'gatehouse/auth';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { PasswordChange } from '@/lib/schemas/auth';

// Changing the password signs out every other session; the one making the change stays.
const password = defineRoutes('/api/auth/password', {
  POST: route({
    access: 'user',
    rateLimit: 'auth-password',
    noStore: true,
    audit: { action: 'account.password_change', durable: true },
    body: PasswordChange,
    handler: async ({ request, body, principal, ctx }) => {
      const { service } = await getAuth();
      const changed = await service.changePassword({
        userId: principal.userId,
        currentPassword: body.currentPassword,
        newPassword: body.newPassword,
        refreshToken: readRefreshCookie(request),
      });
      if (changed) return new Response(null, { status: 204 });

      return ctx.problem('invalidRequest', {
        status: 400,
        detail: 'The current password is not correct.',
        errors: [
          {
            path: 'body.currentPassword',
            code: 'incorrect',
            message: 'This is not your current password.',
          },
        ],
      });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(
  getGatehouse,
  password,
);
