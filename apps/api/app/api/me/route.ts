import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';

const me = defineRoutes('/api/me', {
  GET: route({
    access: 'user',
    rateLimit: 'api',
    audit: 'account.read',
    handler: async ({ principal, ctx }) => {
      const account = await (await getAuth()).accounts.findById(principal.userId);
      if (!account) return ctx.problem('notFound', { status: 404, detail: 'The account is gone.' });

      const { id, email, role, createdAt } = account;
      return Response.json({ id, email, role, createdAt });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, me);
