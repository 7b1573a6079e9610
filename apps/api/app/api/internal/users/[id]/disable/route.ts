import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';
import { z } from 'zod';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';

/**
 * For a back-office service: disables an account and revokes all its sessions. Only a request
 * signed with a service key (RFC 9421, hmac-sha256) gets here, whatever origin it comes from.
 */
const disable = defineRoutes('/api/internal/users/[id]/disable', {
  POST: route({
    access: 'internal',
    rateLimit: 'internal',
    audit: { action: 'user.disable', required: true },
    params: z.strictObject({ id: z.uuid() }),
    handler: async ({ params, service, ctx }) => {
      const { service: accounts } = await getAuth();
      if (!(await accounts.disableAccount(params.id, `service:${service.keyId}`))) {
        return ctx.problem('notFound', { status: 404, detail: 'No account has this id.' });
      }
      return new Response(null, { status: 204 });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, disable);
