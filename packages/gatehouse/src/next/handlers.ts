import type { Gatehouse } from '../pipeline/gatehouse.js';
import { HTTP_METHODS, type HttpMethod, type RouteSet } from '../pipeline/route.js';
import { currentPeerAddress } from './peer.js';

type Params = Record<string, string | string[] | undefined>;

/** The signature of a Next.js App Router route handler. */
export type NextRouteHandler = (
  request: Request,
  context: { params: Promise<Params> },
) => Promise<Response>;

/** One handler per HTTP method, for a route file to export. */
export type NextRouteHandlers = Record<HttpMethod, NextRouteHandler>;

/** The pipeline, or a function that creates it on first use (keeps `next build` side-effect free). */
export type GatehouseSource = Gatehouse | (() => Gatehouse | Promise<Gatehouse>);

// A registered symbol, so the mark is seen even across two loaded copies of this module.
const PIPELINE_HANDLER = Symbol.for('gatehouse.pipeline-handler');

/**
 * Route handlers for every HTTP method of one path, all through the pipeline; methods the
 * routes do not declare answer 405 with `Allow`, rather than Next.js's own empty response.
 *
 * @example
 * // app/api/notes/route.ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(gatehouse, notes);
 */
export function nextHandlers(source: GatehouseSource, routes: RouteSet): NextRouteHandlers {
  return handlersFor(source, (gatehouse, request, params) =>
    gatehouse.handle(routes, request, { peer: currentPeerAddress(), params }),
  );
}

/** Route handlers that answer every method with a 404 problem: for an `/api/[...path]` catch-all. */
export function nextNotFoundHandlers(source: GatehouseSource): NextRouteHandlers {
  return handlersFor(source, (gatehouse, request) =>
    gatehouse.notFound(request, { peer: currentPeerAddress() }),
  );
}

/** Whether a route module's export goes through the pipeline (used by the route-coverage test). */
export function isPipelineHandler(value: unknown): boolean {
  return typeof value === 'function' && PIPELINE_HANDLER in value;
}

function handlersFor(
  source: GatehouseSource,
  serve: (
    gatehouse: Gatehouse,
    request: Request,
    params: Record<string, string | string[]>,
  ) => Promise<Response>,
): NextRouteHandlers {
  const resolve = typeof source === 'function' ? source : () => source;

  const handler: NextRouteHandler = async (request, context) => {
    const gatehouse = await resolve();
    return serve(gatehouse, request, definedParams(await context.params));
  };
  Object.defineProperty(handler, PIPELINE_HANDLER, { value: true });

  const handlers = {} as NextRouteHandlers;
  for (const method of HTTP_METHODS) handlers[method] = handler;
  return handlers;
}

function definedParams(params: Params | undefined): Record<string, string | string[]> {
  const defined: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined) defined[key] = value;
  }
  return defined;
}
