import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAuth } from '@/lib/auth';
import { getGatehouse } from '@/lib/gatehouse';
import { UserListQuery } from '@/lib/schemas/auth';

const users = defineRoutes('/api/admin/users', {
  GET: route({
    access: 'admin',
    rateLimit: 'admin',
    audit: { action: 'admin.users.list', required: true },
    query: UserListQuery,
    handler: async ({ query }) => {
      const accounts = await (await getAuth()).accounts.list(query);
      const listed = accounts.map(({ id, email, role, createdAt, disabledAt }) => ({
        id,
        email,
        role,
        createdAt,
        disabled: disabledAt !== undefined,
      }));
      return Response.json({ users: listed, limit: query.limit, offset: query.offset });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, users);
