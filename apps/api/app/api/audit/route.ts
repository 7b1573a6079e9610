import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';
import { z } from 'zod';

import { getAudit } from '@/lib/audit';
import { getGatehouse } from '@/lib/gatehouse';

const AuditFilter = z.strictObject({
  actor: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(128).optional(),
  resource: z.string().min(1).max(512).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * The audit log for admins, filtered by actor, action, resource, outcome and time, a page at a
 * time (`after` is the `next` of the previous page). Reading it is itself recorded, durably.
 */
const audit = defineRoutes('/api/audit', {
  GET: route({
    access: 'admin',
    rateLimit: 'admin',
    audit: { action: 'audit.read', durable: true },
    query: AuditFilter,
    handler: async ({ query }) => {
      const { log } = await getAudit();
      const { from, to, limit, ...named } = query;
      const page = await log.query({
        limit,
        // Only the filters given: an absent one is no filter.
        ...Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined)),
        ...(from === undefined ? {} : { from: new Date(from) }),
        ...(to === undefined ? {} : { to: new Date(to) }),
      });
      return Response.json({ entries: page.records, next: page.next ?? null });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, audit);
