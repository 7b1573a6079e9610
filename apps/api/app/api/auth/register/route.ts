import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { Registration } from '@/lib/schemas/auth';

// The answer is the same whether or not the address was already registered (its owner gets a
// mail instead), so registration cannot be used to discover accounts.
const register = defineRoutes('/api/auth/register', {
  POST: route({
    access: 'public',
    rateLimit: 'auth-register',
    noStore: true,
    audit: 'account.register',
    body: Registration,
    handler: async ({ body }) => {
      const { service } = await getAuth();
      await service.register(body.email, body.password);
      return Response.json(
        { status: 'registered', detail: 'Sign in with the address and password you chose.' },
        { status: 201 },
      );
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(
  getGatehouse,
  register,
);
