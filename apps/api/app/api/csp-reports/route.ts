import { cspReportMediaType, normaliseReports } from 'gatehouse/headers';
import { nextHandlers } from 'gatehouse/next';
import { defineRoutes, route } from 'gatehouse/pipeline';
import { z } from 'zod';

import { getViolationStore } from '@/lib/csp';
import { getGatehouse } from '@/lib/gatehouse';

/**
 * The CSP violation collector. Browsers post `application/csp-report` (one report, `report-uri`)
 * or `application/reports+json` (a batch, the Reporting API's `report-to`); both are normalised
 * and counted by directive, blocked origin and page. Reports carry no credentials, so any origin
 * may send them (uploads from another origin are CORS requests, preflighted because of their
 * media type); the body limit and a rate limit per address bound what a flood costs.
 */
const reports = defineRoutes('/api/csp-reports', {
  POST: route({
    access: 'public',
    rateLimit: 'csp-reports',
    mediaTypes: ['application/csp-report', 'application/reports+json'],
    body: z.unknown(),
    bodyLimit: 64 * 1024,
    cors: { allowOrigin: '*', allowHeaders: ['content-type'] },
    handler: async ({ request, body, ctx }) => {
      const mediaType = cspReportMediaType(request.headers.get('content-type'));
      const intake = mediaType ? normaliseReports(mediaType, body) : undefined;
      if (!intake?.ok) {
        return ctx.problem('invalidRequest', {
          status: 400,
          detail: 'The body is not a CSP violation report.',
          errors: intake?.issues ?? [],
        });
      }
      await (await getViolationStore()).record(intake.violations, new Date());
      return new Response(null, { status: 204 });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, reports);
