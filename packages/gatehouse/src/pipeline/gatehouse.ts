import type { CorsPolicy } from '../cors/policy.js';
import { GatehouseError } from '../errors.js';
import { hstsFor } from '../headers/hsts.js';
import { apiHeaders, FINGERPRINT_HEADERS, type HeaderList } from '../headers/profiles.js';
import { checkRequest } from '../validation/request.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import { checkAccess, type Authenticator } from './access.js';
import { auditSettings, outcomeOf, reasonOf, type AuditRecorder } from './audit.js';
import { createClientIpResolver, isTrustedPeer, type TrustedProxies } from './client-ip.js';
import type { CrossSitePolicy } from './cross-site.js';
import { createRequestContext, type PipelineContext } from './context.js';
import { silentLogger, type Logger } from './logger.js';
import { limitedResponse, refusalProblem, refuseCrossSite } from './refusals.js';
import { REQUEST_ID_HEADER, resolveRequestId } from './request-id.js';
import { checkSignedCall, type SignedCallOptions } from './signed.js';
import type { DeclaredMethod, RouteDeclaration, RouteSet } from './route.js';

/** Settings of the route pipeline. Every one has a safe default. */
export interface GatehouseOptions {
  /** Where the pipeline logs; pino fits as it is. @default a logger that drops everything */
  readonly logger?: Logger;
  /**
   * Proxies whose `X-Forwarded-For` and request-id headers are believed. Without them the
   * socket address is the client and those headers are ignored.
   * @default { kind: 'none' }
   */
  readonly trustedProxies?: TrustedProxies;
  /** Header a trusted proxy puts its request id in. @default 'x-request-id' */
  readonly requestIdHeader?: string;
  /** Largest request body in bytes, unless a route sets its own. @default 100_000 */
  readonly bodyLimit?: number;
  /** Deepest nesting of objects and arrays accepted in a JSON body. @default 32 */
  readonly maxJsonDepth?: number;
  /** Verifies callers of `user` and `admin` routes; without one, such routes answer 500. */
  readonly authenticator?: Authenticator;
  /** Applies the global and route rate-limit policies; without one, nothing is limited. */
  readonly rateLimiter?: RateLimiter;
  /** Origins that may call `sameSiteOnly` routes; without it, such routes answer 500. */
  readonly crossSite?: CrossSitePolicy;
  /**
   * When to send `Strict-Transport-Security`: always over HTTPS; over plain HTTP only when the
   * app is configured as being behind a proxy that terminates TLS (`behindTlsProxy`).
   * @default { behindTlsProxy: false, preload: false }
   */
  readonly hsts?: { readonly behindTlsProxy?: boolean; readonly preload?: boolean };
  /**
   * Which other origins may call the API from a browser (`createCorsPolicy`). Without it no
   * origin may: preflights are refused, and answers carry no CORS headers. A route's own `cors`
   * declaration replaces it.
   */
  readonly cors?: CorsPolicy;
  /** Verifies the signatures of `internal` routes; without it, such routes answer 500. */
  readonly signedCalls?: SignedCallOptions;
  /**
   * Receives one entry per request of every route that names an audit action; without it,
   * nothing is recorded.
   */
  readonly audit?: AuditRecorder;
}

/** What an adapter knows about a request beyond the `Request` itself. */
export interface Transport {
  /** The socket's remote address. */
  readonly peer?: string | undefined;
  /** Path parameters the framework's router extracted. */
  readonly params?: Readonly<Record<string, string | string[]>> | undefined;
}

/** The route pipeline: every request of every route goes through `handle`. */
export interface Gatehouse {
  /** Runs a request through the layers and the route's handler. */
  handle(routes: RouteSet, request: Request, transport?: Transport): Promise<Response>;
  /** Answers a path no route serves with a 404 problem, through the same layers. */
  notFound(request: Request, transport?: Transport): Promise<Response>;
}

/**
 * Creates the route pipeline.
 *
 * @example
 * const gatehouse = createGatehouse({ logger: pino(), trustedProxies: parseTrustedProxies('loopback') });
 */
export function createGatehouse(options: GatehouseOptions = {}): Gatehouse {
  const logger = options.logger ?? silentLogger;
  const trust = options.trustedProxies ?? { kind: 'none' };
  const resolveClientIp = createClientIpResolver(trust);
  const requestIdHeader = (options.requestIdHeader ?? REQUEST_ID_HEADER).toLowerCase();
  const bodyLimit = positive(options.bodyLimit ?? 100_000, 'bodyLimit');
  const maxJsonDepth = positive(options.maxJsonDepth ?? 32, 'maxJsonDepth');

  const hsts = (url: URL) =>
    hstsFor({ ...options.hsts, https: url.protocol === 'https:' || url.protocol === 'wss:' });
  const profiles = { cached: apiHeaders(), noStore: apiHeaders({ noStore: true }) };

  async function run(
    request: Request,
    transport: Transport,
    respond: (ctx: PipelineContext, url: URL, route: RouteState) => Promise<Response>,
  ): Promise<Response> {
    const started = performance.now();
    const url = new URL(request.url);
    const peer = transport.peer;
    const clientIp = resolveClientIp(peer, request.headers.get('x-forwarded-for'));
    const peerTrusted = isTrustedPeer(trust, peer);
    const requestId = resolveRequestId(request.headers, requestIdHeader, peerTrusted);
    const ctx = createRequestContext(requestId, clientIp, logger);

    const route: RouteState = {
      noStore: false,
      cors: 'default',
      preflight: false,
      audit: undefined,
    };
    let response: Response;
    try {
      response = await respond(ctx, url, route);
    } catch (error) {
      ctx.log.error({ err: error, method: request.method, path: url.pathname }, 'unhandled error');
      response = ctx.problem('internal', {
        status: 500,
        detail:
          'The server could not complete the request. Quote the request id when reporting it.',
      });
    }

    // Every answer carries the API profile, refusals and errors included; no cache may keep an
    // answer to a caller who proved who they are, or any answer of a route that hands out tokens.
    const noStore = route.noStore || ctx.principal !== undefined || ctx.service !== undefined;
    response = secured(response, [
      ...(noStore ? profiles.noStore : profiles.cached),
      ...hsts(url),
      ...corsHeaders(request, route),
      [REQUEST_ID_HEADER, requestId],
    ]);
    // The CORS headers depend on the Origin header, so caches must keep answers apart by it.
    if (route.cors === 'default' && options.cors) appendVary(response, 'Origin');
    if (route.audit && options.audit)
      await record(options.audit, route.audit, request, url, ctx, response);
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    const userId = ctx.principal?.userId;
    const serviceKeyId = ctx.service?.keyId;
    ctx.log.info(
      {
        method: request.method,
        path: url.pathname,
        status: response.status,
        durationMs,
        clientIp,
        userId,
        serviceKeyId,
      },
      'request',
    );
    return response;
  }

  async function dispatch(
    routes: RouteSet,
    request: Request,
    transport: Transport,
    ctx: PipelineContext,
    url: URL,
    route: RouteState,
  ) {
    const method = request.method.toUpperCase();
    const declaration = declarationFor(routes, method);
    route.noStore = declaration?.noStore === true;
    if (declaration?.audit !== undefined) route.audit = auditSettings(declaration.audit);
    if (declaration?.cors !== undefined) route.cors = 'public';

    if (declaration === undefined) {
      if (method === 'OPTIONS') return answerOptions(routes, request, ctx, route);
      const refused = ctx.problem('methodNotAllowed', {
        status: 405,
        detail: `Allowed methods: ${routes.allow}.`,
      });
      refused.headers.set('allow', routes.allow);
      return refused;
    }

    const crossOrigin = refuseCrossOriginCookies(request, ctx, method);
    if (crossOrigin) return crossOrigin;

    if (route.audit?.required && options.audit?.available() === false) {
      ctx.log.error(
        { action: route.audit.action },
        'audit log unavailable: required route refused',
      );
      route.audit = undefined;
      const refused = ctx.problem('unavailable', {
        status: 503,
        detail:
          'This action cannot be recorded right now, so it is not performed. Try again shortly.',
      });
      refused.headers.set('retry-after', '5');
      return refused;
    }

    const limiter = options.rateLimiter;
    const blocked = limiter?.knownBlocked(declaration.rateLimit, ctx.clientIp);
    if (blocked) return limitedResponse(ctx, blocked);
    if (limiter) {
      ctx.limit = async (policy, key) => {
        const verdict = await limiter.checkKey(policy, key);
        return verdict.kind === 'allowed' ? undefined : limitedResponse(ctx, verdict);
      };
    }

    if (declaration.sameSiteOnly) {
      const refused = refuseCrossSite(request, ctx, options.crossSite);
      if (refused) return refused;
    }

    let access: { ok: true } | { ok: false; response: Response };
    if (declaration.access === 'internal') {
      if (!options.signedCalls) {
        throw new GatehouseError('ERR_CONFIG_INVALID', 'an internal route needs signedCalls');
      }
      const limit = declaration.bodyLimit ?? bodyLimit;
      const signed = await checkSignedCall(request, ctx, url, options.signedCalls, limit);
      if (signed.ok) {
        ctx.service = { keyId: signed.keyId };
        request = signed.request;
      }
      access = signed;
    } else {
      const checked = await checkAccess(declaration.access, request, ctx, options.authenticator);
      // A caller refused for their role is still who acted, for the log and the audit entry.
      ctx.principal = checked.principal;
      access = checked;
    }

    // Refused credentials are charged too (to the client address), so guessing costs quota.
    let rateHeaders: [string, string][] = [];
    if (limiter) {
      const verdict = await limiter.check(declaration.rateLimit, ctx.clientIp, ctx.principal);
      if (verdict.kind !== 'allowed') return limitedResponse(ctx, verdict);
      if (verdict.degraded.length > 0) {
        ctx.log.warn({ policies: verdict.degraded }, 'rate-limit store unavailable');
      }
      rateHeaders = verdict.headers;
    }
    if (!access.ok) return withHeaders(access.response, rateHeaders);

    return withHeaders(
      await validateAndHandle(routes, declaration, request, transport, ctx, url, method),
      rateHeaders,
    );
  }

  async function validateAndHandle(
    routes: RouteSet,
    declaration: RouteDeclaration,
    request: Request,
    transport: Transport,
    ctx: PipelineContext,
    url: URL,
    method: string,
  ): Promise<Response> {
    const checked = await checkRequest(request, url, transport.params ?? {}, {
      params: declaration.params,
      query: declaration.query,
      body: declaration.body,
      mediaTypes: declaration.mediaTypes,
      bodyLimit: declaration.bodyLimit ?? bodyLimit,
      maxJsonDepth,
    });
    if (!checked.ok) return refusalProblem(ctx, checked.refusal, method);

    const { params, query, body } = checked.value;
    const { principal, service } = ctx;
    const response = await declaration.handler({
      request,
      principal,
      service,
      params,
      query,
      body,
      ctx,
    } as never);
    if (!(response instanceof Response)) {
      throw new GatehouseError(
        'ERR_ROUTE_INVALID',
        `${method} ${routes.path} returned no Response`,
      );
    }

    if (method === 'HEAD') return new Response(null, response);
    return response;
  }

  /**
   * `OPTIONS`: the methods served; for a CORS preflight (Fetch standard), the methods and headers
   * an allowed origin may use, from the route's own declaration or the API's policy. A preflight
   * from an origin that may not call, or for a method not served, is refused with 403 and no CORS
   * headers. An `OPTIONS` without `Access-Control-Request-Method` is not a preflight.
   */
  function answerOptions(
    routes: RouteSet,
    request: Request,
    ctx: PipelineContext,
    route: RouteState,
  ): Response {
    const allow = () => new Response(null, { status: 204, headers: { allow: routes.allow } });
    const asked = request.headers.get('access-control-request-method')?.toUpperCase();
    const origin = request.headers.get('origin');
    if (asked === undefined || origin === null) return allow();
    route.preflight = true;

    const declared = declarationFor(routes, asked);
    const publicCors = declared?.cors;
    if (publicCors !== undefined) {
      route.cors = 'public';
      const response = allow();
      response.headers.set('access-control-allow-origin', '*');
      response.headers.set('access-control-allow-methods', asked);
      if (publicCors.allowHeaders?.length) {
        response.headers.set('access-control-allow-headers', publicCors.allowHeaders.join(', '));
      }
      response.headers.set('access-control-max-age', `${publicCors.maxAgeSeconds ?? 7200}`);
      return response;
    }

    const policy = options.cors;
    if (declared !== undefined && policy?.allows(origin)) {
      const response = allow();
      const methods = routes.allow.split(', ').filter((m) => m !== 'OPTIONS' && m !== 'HEAD');
      for (const [name, value] of policy.preflightHeaders(origin, methods)) {
        response.headers.set(name, value);
      }
      return response;
    }
    ctx.log.warn({ origin: origin.slice(0, 200), method: asked.slice(0, 20) }, 'preflight refused');
    return ctx.problem('forbidden', {
      status: 403,
      detail: 'Cross-origin requests from this origin are refused.',
    });
  }

  /** The CORS headers of an answer that is not a preflight, for an origin the API allows. */
  function corsHeaders(request: Request, route: RouteState): [string, string][] {
    const origin = request.headers.get('origin');
    if (origin === null || route.preflight) return [];
    if (route.cors === 'public') return [['access-control-allow-origin', '*']];
    return options.cors?.allows(origin) ? options.cors.answerHeaders(origin) : [];
  }

  /**
   * A request that would change something, carries cookies, and comes from an origin that is
   * neither the app's own nor one allowed to send credentials, is refused before it can act:
   * CORS only hides answers from such origins; it does not stop the request.
   */
  function refuseCrossOriginCookies(
    request: Request,
    ctx: PipelineContext,
    method: string,
  ): Response | undefined {
    if (SAFE_METHODS.has(method) || !request.headers.has('cookie')) return undefined;
    const origin = request.headers.get('origin');
    if (origin === null) return undefined;
    if (options.crossSite?.origins.includes(origin)) return undefined;
    if (options.cors?.credentials && options.cors.allows(origin)) return undefined;
    ctx.log.warn({ origin: origin.slice(0, 200) }, 'cross-origin request with cookies refused');
    return ctx.problem('forbidden', {
      status: 403,
      detail: 'Requests with cookies from this origin are refused.',
    });
  }

  return {
    handle(routes, request, transport = {}) {
      return run(request, transport, (ctx, url, route) =>
        dispatch(routes, request, transport, ctx, url, route),
      );
    },

    notFound(request, transport = {}) {
      return run(request, transport, async (ctx) =>
        ctx.problem('notFound', { status: 404, detail: 'No resource is served at this path.' }),
      );
    },
  };
}

function declarationFor(routes: RouteSet, method: string): RouteDeclaration | undefined {
  if (method === 'HEAD') return routes.methods.GET;
  if (method === 'OPTIONS') return undefined;
  return routes.methods[method as DeclaredMethod];
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Writes the audit entry of one request. A durable entry is awaited before the answer leaves;
 * a failure to record is logged, never turned into another answer: the action has happened.
 */
async function record(
  recorder: AuditRecorder,
  settings: ReturnType<typeof auditSettings>,
  request: Request,
  url: URL,
  ctx: PipelineContext,
  response: Response,
): Promise<void> {
  const actor = ctx.principal
    ? ({ kind: 'user', id: ctx.principal.userId } as const)
    : ctx.service
      ? ({ kind: 'service', id: ctx.service.keyId } as const)
      : ({ kind: 'anonymous' } as const);
  const reason =
    response.status >= 400 ? (ctx.auditReason ?? reasonOf(response.status)) : undefined;
  const write = recorder
    .record(
      {
        actor,
        action: settings.action,
        resource: `${request.method.toUpperCase()} ${url.pathname}`,
        outcome: outcomeOf(response.status),
        ip: ctx.clientIp,
        userAgent: request.headers.get('user-agent') ?? undefined,
        timestamp: new Date().toISOString(),
        requestId: ctx.requestId,
        ...(reason ? { reason } : {}),
      },
      { durable: settings.durable },
    )
    .catch((error: unknown) => {
      ctx.log.error({ err: error, action: settings.action }, 'audit entry not recorded');
    });
  if (settings.durable) await write;
}

/** What the pipeline learns of the route while it runs, for the headers of the answer. */
interface RouteState {
  /** The route's audit action and how its entry is written, when it has one. */
  audit: ReturnType<typeof auditSettings> | undefined;
  noStore: boolean;
  /** `public`: the route lets any origin call it; `default`: the API's policy applies. */
  cors: 'public' | 'default';
  /** The request was a CORS preflight, answered with its own headers. */
  preflight: boolean;
}

function appendVary(response: Response, name: string): void {
  const vary = response.headers.get('vary');
  if (vary === null) response.headers.set('vary', name);
  else if (!vary.split(',').some((token) => token.trim().toLowerCase() === name.toLowerCase())) {
    response.headers.set('vary', `${vary}, ${name}`);
  }
}

/**
 * The response with `headers` set over whatever the handler set, and without the headers that
 * name the software behind it.
 */
function secured(response: Response, headers: HeaderList): Response {
  let target = response;
  try {
    for (const name of FINGERPRINT_HEADERS) target.headers.delete(name);
  } catch {
    // Responses from fetch() or Response.redirect() have immutable headers.
    target = new Response(response.body, response);
    for (const name of FINGERPRINT_HEADERS) target.headers.delete(name);
  }
  for (const [name, value] of headers) target.headers.set(name, value);
  return target;
}

function withHeaders(response: Response, headers: readonly [string, string][]): Response {
  let current = response;
  for (const [name, value] of headers) current = withHeader(current, name, value);
  return current;
}

function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    // Responses from fetch() or Response.redirect() have immutable headers.
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new GatehouseError('ERR_CONFIG_INVALID', `${name} must be a positive whole number`);
  }
  return value;
}
