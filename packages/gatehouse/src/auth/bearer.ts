import type { Authenticator } from '../pipeline/access.js';
import type { AccessClaims, Principal } from './types.js';

/** The part of an access-token verifier the Bearer authenticator uses. */
export interface TokenChecker {
  check(
    token: string,
  ): Promise<
    | { readonly ok: true; readonly claims: AccessClaims }
    | { readonly ok: false; readonly reason: string }
  >;
}

// RFC 6750 §2.1: `Bearer` then one space then a b64token (RFC 7235 token68).
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Authenticates `Authorization: Bearer <access token>` through the one verification helper.
 * A missing header is "no credentials"; anything presented and not valid is `'invalid'`, and
 * the reason goes to the log at warn, never to the client.
 *
 * @example createGatehouse({ authenticator: createBearerAuthenticator(verifier) })
 */
export function createBearerAuthenticator(verifier: TokenChecker): Authenticator {
  return {
    async authenticate(request, ctx) {
      const header = request.headers.get('authorization');
      if (header === null) return undefined;

      const match = BEARER.exec(header);
      if (!match?.[1]) {
        ctx.log.warn({ reason: 'malformed_authorization' }, 'access token refused');
        return 'invalid';
      }

      const result = await verifier.check(match[1]);
      if (!result.ok) {
        ctx.log.warn({ reason: result.reason }, 'access token refused');
        return 'invalid';
      }
      const principal: Principal = { userId: result.claims.sub, role: result.claims.role };
      return principal;
    },
  };
}
