import type { Principal } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import type { RequestContext } from './context.js';
import type { Access } from './route.js';

/**
 * Establishes who is calling. The authentication layer provides one that verifies Bearer access
 * tokens; the pipeline asks it only for routes whose access is not `public`.
 */
export interface Authenticator {
  /**
   * The verified caller, `undefined` when no credentials were presented, or `'invalid'` when
   * credentials were presented and failed (the cause stays in the authenticator's log).
   */
  authenticate(request: Request, ctx: RequestContext): Promise<Principal | 'invalid' | undefined>;
}

export type AccessDecision =
  | { readonly ok: true; readonly principal: Principal | undefined }
  | {
      readonly ok: false;
      readonly response: Response;
      /** The verified caller who lacks the role (a 403), for logs and the audit entry. */
      readonly principal?: Principal;
    };

// RFC 6750 §3: a challenge on every 401; an error code only when a token was presented.
const CHALLENGE = 'Bearer realm="api"';
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="api", error="invalid_token"';

/** Applies a route's access level: 401 without a valid caller, 403 for the wrong role. */
export async function checkAccess(
  access: Access,
  request: Request,
  ctx: RequestContext,
  authenticator: Authenticator | undefined,
): Promise<AccessDecision> {
  if (access === 'public') return { ok: true, principal: undefined };
  if (!authenticator) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      `a route requires "${access}" access but the pipeline has no authenticator`,
    );
  }

  const caller = await authenticator.authenticate(request, ctx);
  if (caller === undefined || caller === 'invalid') {
    const response = ctx.problem('unauthorized', {
      status: 401,
      detail: 'A valid access token is required.',
    });
    response.headers.set(
      'www-authenticate',
      caller === 'invalid' ? INVALID_TOKEN_CHALLENGE : CHALLENGE,
    );
    return { ok: false, response };
  }

  if (access === 'admin' && caller.role !== 'admin') {
    ctx.log.warn({ userId: caller.userId, role: caller.role }, 'authorization failure');
    return {
      ok: false,
      principal: caller,
      response: ctx.problem('forbidden', {
        status: 403,
        detail: 'This action needs a role the caller does not have.',
      }),
    };
  }
  return { ok: true, principal: caller };
}
