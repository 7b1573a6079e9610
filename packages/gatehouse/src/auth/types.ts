/**
 * Shared vocabulary of the authentication layer.
 * @module
 */

/** Roles the layer knows; routes name the ones they admit. */
export type Role = 'user' | 'admin';

/** The verified identity behind a request, as a handler sees it. */
export interface Principal {
  /** User id (the access token's `sub`). */
  readonly userId: string;
  readonly role: Role;
}

/** The claims of a verified access token. */
export interface AccessClaims {
  readonly sub: string;
  readonly role: Role;
  readonly iat: number;
  readonly exp: number;
  readonly iss: string;
  readonly aud: string | string[];
}

/** A source of the current time in milliseconds, replaceable in tests. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
