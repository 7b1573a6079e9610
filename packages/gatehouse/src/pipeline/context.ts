import type { Principal } from '../auth/types.js';
import type { Logger } from './logger.js';
import { problem, type ProblemDetails, type ProblemKind } from './problem.js';

/** What the pipeline knows about the request in flight; handlers and layers receive it. */
export interface RequestContext {
  /** Accepted from a trusted proxy's header, otherwise generated; echoed as `X-Request-Id`. */
  readonly requestId: string;
  /** The client address under the trusted-proxy rules; `undefined` when it cannot be known. */
  readonly clientIp: string | undefined;
  /** The verified caller, once the route's access check has passed; `undefined` on public routes. */
  readonly principal: Principal | undefined;
  /** The key id of a service whose signed request an `internal` route accepted. */
  readonly service: { readonly keyId: string } | undefined;
  /** The logger, with every line carrying the request id. */
  readonly log: Logger;
  /** A problem response carrying this request's id. */
  problem(kind: ProblemKind, details: Omit<ProblemDetails, 'requestId'>): Response;
  /**
   * Charges a rate-limit policy for a key only the handler knows (the account a login names).
   * Resolves to the 429 (or 503) to answer with, or `undefined` when the request may go on.
   */
  limit(policy: string, key: string): Promise<Response | undefined>;
}

/** The context as the pipeline holds it: the access check records the caller. */
export interface PipelineContext extends RequestContext {
  /** A more precise reason for the audit entry than the status gives (`signature-replayed`). */
  auditReason?: string;
  principal: Principal | undefined;
  service: { readonly keyId: string } | undefined;
  limit: RequestContext['limit'];
}

export function createRequestContext(
  requestId: string,
  clientIp: string | undefined,
  logger: Logger,
): PipelineContext {
  const bind = (fields: Record<string, unknown>) => ({ requestId, ...fields });
  const log: Logger = {
    info: (fields, message) => logger.info(bind(fields), message),
    warn: (fields, message) => logger.warn(bind(fields), message),
    error: (fields, message) => logger.error(bind(fields), message),
  };

  return {
    requestId,
    clientIp,
    principal: undefined,
    service: undefined,
    log,
    problem: (kind, details) => problem(kind, { ...details, requestId }),
    // Without a rate limiter nothing is limited; the pipeline replaces this when it has one.
    limit: () => Promise.resolve(undefined),
  };
}
