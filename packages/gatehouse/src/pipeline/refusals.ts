import { GatehouseError } from '../errors.js';
import type { RateLimitVerdict } from '../rate-limit/limiter.js';
import type { ValidationIssue } from '../validation/issues.js';
import type { Refusal } from '../validation/request.js';
import type { PipelineContext } from './context.js';
import { checkCrossSite, type CrossSitePolicy } from './cross-site.js';

/**
 * The pipeline's refusals as problem responses: validation failures (400, 413, 415) and
 * cross-site requests to cookie endpoints (403).
 */

export function refuseCrossSite(
  request: Request,
  ctx: PipelineContext,
  policy: CrossSitePolicy | undefined,
): Response | undefined {
  if (!policy) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'a sameSiteOnly route needs crossSite origins');
  }

  const verdict = checkCrossSite(request, policy);
  if (verdict.ok) return undefined;
  ctx.log.warn({ reason: verdict.reason }, 'cross-site request refused');
  return ctx.problem('forbidden', { status: 403, detail: 'Cross-site requests are refused here.' });
}

export function refusalProblem(ctx: PipelineContext, refusal: Refusal, method: string): Response {
  switch (refusal.status) {
    case 400:
      return ctx.problem('invalidRequest', {
        status: 400,
        detail: describeIssues(refusal.issues),
        errors: refusal.issues,
      });
    case 413:
      return ctx.problem('payloadTooLarge', {
        status: 413,
        detail: `The request body is larger than ${refusal.limit} bytes.`,
      });
    case 415: {
      const response = ctx.problem('unsupportedMediaType', {
        status: 415,
        detail: `Send the body as ${refusal.mediaTypes.join(' or ')} in UTF-8.`,
      });
      // RFC 9110 §15.5.16: say which media types would have been accepted.
      const accepted = refusal.mediaTypes.join(', ');
      if (method === 'POST') response.headers.set('accept-post', accepted);
      if (method === 'PATCH') response.headers.set('accept-patch', accepted);
      return response;
    }
  }
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.length === 1
    ? 'One part of the request is not valid.'
    : `${issues.length} parts of the request are not valid.`;
}

/** A 429 naming the violated policies, with `Retry-After`; or a 503 when the store is down. */
export function limitedResponse(
  ctx: PipelineContext,
  verdict: Exclude<RateLimitVerdict, { kind: 'allowed' }>,
): Response {
  if (verdict.kind === 'unavailable') {
    ctx.log.error({ policies: verdict.policies }, 'rate-limit store unavailable; refusing');
    const refused = ctx.problem('unavailable', {
      status: 503,
      detail: 'This endpoint is briefly unavailable. Try again shortly.',
    });
    refused.headers.set('retry-after', '5');
    return refused;
  }

  ctx.log.warn({ policies: verdict.policies }, 'rate limit exceeded');
  const refused = ctx.problem('rateLimited', {
    status: 429,
    detail: `Too many requests; try again in ${verdict.retryAfter} seconds.`,
    policies: verdict.policies,
  });
  for (const [name, value] of verdict.headers) refused.headers.set(name, value);
  refused.headers.set('retry-after', String(verdict.retryAfter));
  return refused;
}
