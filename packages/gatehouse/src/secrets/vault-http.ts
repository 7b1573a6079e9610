/**
 * One HTTP exchange with Vault or OpenBao: token and namespace headers, a timeout, and Vault's
 * status codes mapped to coded errors. Messages name the operation, the secret and the status,
 * never the token, the address's credentials or a value.
 * @module
 */
import { GatehouseError } from '../errors.js';

/** What a call needs besides its URL. */
export interface VaultCallContext {
  readonly token: () => string | Promise<string>;
  readonly namespace: string | undefined;
  readonly timeoutMs: number;
}

/** The parsed JSON body of a 2xx answer, or `undefined` for a 404. */
export type VaultAnswer =
  { readonly found: true; readonly body: unknown } | { readonly found: false };

/**
 * Sends one request. `operation` and `name` only label errors. Redirects are refused: a
 * standby node that redirects instead of forwarding would otherwise receive the token again
 * at an address nobody configured.
 */
export async function callVault(
  context: VaultCallContext,
  request: { method: 'GET' | 'POST'; url: URL; body?: unknown },
  operation: string,
  name: string,
): Promise<VaultAnswer> {
  const headers: Record<string, string> = {
    'X-Vault-Token': await context.token(),
    Accept: 'application/json',
  };
  if (context.namespace !== undefined) headers['X-Vault-Namespace'] = context.namespace;
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  const label = `${operation} of secret "${name}"`;

  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      redirect: 'error',
      signal: AbortSignal.timeout(context.timeoutMs),
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    if (response.status === 404) {
      if (isMissingRoute(await response.text())) {
        throw new GatehouseError(
          'ERR_SECRET_INVALID',
          `vault has no route for the ${label}: is the mount a KV version 2 engine?`,
        );
      }
      return { found: false };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw statusError(response.status, label);
    }
    const text = await response.text();
    if (text === '') return { found: true, body: undefined };
    try {
      return { found: true, body: JSON.parse(text) as unknown };
    } catch {
      throw new GatehouseError('ERR_SECRET_INVALID', `vault answered the ${label} with bad JSON`);
    }
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      throw new GatehouseError(
        'ERR_SECRET_UNAVAILABLE',
        `vault did not answer the ${label} within ${context.timeoutMs} ms`,
      );
    }
    // fetch's own errors name the address at most, never the request's headers.
    throw new GatehouseError(
      'ERR_SECRET_UNAVAILABLE',
      `vault could not be reached for the ${label}`,
      {
        cause: error,
      },
    );
  }
}

function statusError(status: number, label: string): GatehouseError {
  // Vault answers 403 "permission denied" for a missing, wrong or expired token and for a
  // policy that does not allow the path; 401 comes from proxies in front of it.
  if (status === 401 || status === 403) {
    return new GatehouseError('ERR_SECRET_DENIED', `vault denied the ${label} (${status})`);
  }
  // 429 is a rate limit; a sealed vault answers 503.
  if (status === 429 || status >= 500) {
    return new GatehouseError(
      'ERR_SECRET_UNAVAILABLE',
      `vault could not serve the ${label} (${status})`,
    );
  }
  return new GatehouseError('ERR_SECRET_INVALID', `vault refused the ${label} (${status})`);
}

/**
 * Vault answers 404 with `{"errors":[]}` for a secret that does not exist, and with a message in
 * `errors` for a path no engine serves, such as a mistyped mount.
 */
function isMissingRoute(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(body.errors) && body.errors.length > 0;
  } catch {
    return false;
  }
}
