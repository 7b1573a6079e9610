import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';

import { getAudit } from '@/lib/audit';
import { getGatehouse } from '@/lib/gatehouse';

/**
 * The latest signed checkpoint of the audit log (C2SP tlog-checkpoint in a signed note). It
 * reveals only the log's name, size and root, so it is public: keeping copies of it outside this
 * system is the only way to detect that the newest entries were cut off. An admin can ask for a
 * new one at any time.
 */
const checkpoint = defineRoutes('/api/audit/checkpoint', {
  GET: route({
    access: 'public',
    rateLimit: 'public',
    handler: async ({ ctx }) => {
      const latest = await (await getAudit()).log.latestCheckpoint();
      if (!latest) {
        return ctx.problem('notFound', {
          status: 404,
          detail: 'No checkpoint has been signed yet.',
        });
      }
      return new Response(latest.note, {
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
      });
    },
  }),
  POST: route({
    access: 'admin',
    rateLimit: 'admin',
    audit: { action: 'audit.checkpoint', durable: true },
    handler: async () => {
      const signed = await (await getAudit()).log.checkpoint();
      return new Response(signed.note, {
        status: 201,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(
  getGatehouse,
  checkpoint,
);
