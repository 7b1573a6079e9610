import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Carries the socket's remote address from the HTTP server into route handlers. Next.js does not
 * hand the socket to route handlers, and the `X-Forwarded-For` it synthesises keeps whatever a
 * client sent, so the server runs each request inside this storage instead.
 *
 * The storage lives on `globalThis` under a registered symbol: the server and the bundled route
 * handlers load separate copies of this module, and both must reach the same storage.
 */
const KEY = Symbol.for('gatehouse.peer-address');

interface PeerStore {
  readonly peer: string | undefined;
  /** Details the request's audit entry should carry, added while it is handled. */
  readonly auditDetails: Map<string, string | number | boolean>;
}

function storage(): AsyncLocalStorage<PeerStore> {
  const global = globalThis as { [KEY]?: AsyncLocalStorage<PeerStore> };
  global[KEY] ??= new AsyncLocalStorage<PeerStore>();
  return global[KEY];
}

/** Runs `serve` so that every route handler it reaches sees `peer` as the socket address. */
export function runWithPeerAddress<T>(peer: string | undefined, serve: () => T): T {
  return storage().run({ peer, auditDetails: new Map() }, serve);
}

/**
 * Adds a detail (a security event's name, say) to the audit entry of the request being handled.
 * Returns false outside a request, where there is no such entry.
 */
export function addAuditDetail(name: string, value: string | number | boolean): boolean {
  const store = storage().getStore();
  store?.auditDetails.set(name, value);
  return store !== undefined;
}

/** The details added to the current request's audit entry, if any. */
export function currentAuditDetails(): Record<string, string | number | boolean> | undefined {
  const details = storage().getStore()?.auditDetails;
  return details && details.size > 0 ? Object.fromEntries(details) : undefined;
}

/**
 * The socket address of the request being handled, or `undefined` outside a server that uses
 * `runWithPeerAddress` (for example under `next dev`).
 */
export function currentPeerAddress(): string | undefined {
  return storage().getStore()?.peer;
}
