/**
 * Refresh-token sessions: what a login starts, what a refresh answers, how sessions end.
 * @module
 */

/** Lifetimes of refresh families. Every one has a safe default. */
export interface SessionSettings {
  /** Seconds from login after which a family refuses every token. @default 2_592_000 (30 days) */
  readonly absoluteLifetimeSeconds: number;
  /** Seconds without a refresh after which a family refuses every token. @default 604_800 (7 d) */
  readonly idleTimeoutSeconds: number;
  /**
   * Seconds after a rotation during which the rotated token still yields the same successor, so
   * parallel tabs refreshing at once are not mistaken for theft. @default 10
   */
  readonly reuseGraceSeconds: number;
}

/** Why a family was revoked; stored with it for the audit trail. */
export type RevokeReason =
  'logout' | 'reuse' | 'password_change' | 'password_reset' | 'admin' | 'disabled';

/** A refresh token handed to the client. */
export interface IssuedRefresh {
  /** The opaque token: 256 random bits, base64url. Only its hash is stored. */
  readonly token: string;
  readonly familyId: string;
  /** When the family ends at the latest, in ms since the epoch: the cookie's Max-Age source. */
  readonly expiresAt: number;
}

/** What a refresh came to. Denials are values; only store failures throw. */
export type RefreshOutcome =
  | { readonly kind: 'rotated'; readonly userId: string; readonly refresh: IssuedRefresh }
  /** A rotated token came back after the grace window; the family is now revoked. */
  | { readonly kind: 'reuse_detected'; readonly userId: string; readonly familyId: string }
  /** Unknown or malformed token, expired or revoked family. */
  | { readonly kind: 'invalid' };

/** Starts, rotates and ends refresh families; all of the policy lives here, none in stores. */
export interface SessionManager {
  /** Starts a family for a user who just logged in and returns its first token. */
  start(userId: string): Promise<IssuedRefresh>;
  /** Rotates a token: a new successor, the same successor within the grace window, or a denial. */
  refresh(token: string): Promise<RefreshOutcome>;
  /** Revokes the family of this token (logout); returns its user id when it was live. */
  revoke(token: string, reason: RevokeReason): Promise<string | undefined>;
  /**
   * Revokes every family of a user, optionally keeping one (password change keeps the current
   * session). Returns how many live families it revoked.
   */
  revokeAll(
    userId: string,
    reason: RevokeReason,
    options?: { readonly exceptFamilyId?: string | undefined },
  ): Promise<number>;
  /** The family a token belongs to, when live and the token would be accepted by `refresh`. */
  familyOf(token: string): Promise<string | undefined>;
}
