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
}

function storage(): AsyncLocalStorage<PeerStore> {
  const global = globalThis as { [KEY]?: AsyncLocalStorage<PeerStore> };
  global[KEY] ??= new AsyncLocalStorage<PeerStore>();
  return global[KEY];
}

/** Runs `serve` so that every route handler it reaches sees `peer` as the socket address. */
export function runWithPeerAddress<T>(peer: string | undefined, serve: () => T): T {
  return storage().run({ peer }, serve);
}

/**
 * The socket address of the request being handled, or `undefined` outside a server that uses
 * `runWithPeerAddress` (for example under `next dev`).
 */
export function currentPeerAddress(): string | undefined {
  return storage().getStore()?.peer;
}
