import type { output, ZodType } from 'zod';

import type { Principal } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import type { RequestContext } from './context.js';

/** Every method a route file answers; the pipeline answers the ones a route does not declare. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Methods a route declares; `HEAD` follows `GET` and `OPTIONS` is answered by the pipeline. */
export type DeclaredMethod = Exclude<HttpMethod, 'HEAD' | 'OPTIONS'>;

/**
 * Who may call a route: anyone (`public`), any signed-in user (`user`, which admins pass too),
 * admins only (`admin`), or another service that signs each request with a shared key
 * (`internal`, RFC 9421 HTTP message signatures).
 */
export type Access = 'public' | 'user' | 'admin' | 'internal';

/** A service that proved itself with a signed request. */
export interface ServiceCaller {
  readonly keyId: string;
}

type Parsed<S> = S extends ZodType ? output<S> : Record<string, never>;

/** What a handler receives: the request, its validated parts, and the request context. */
export interface HandlerInput<P, Q, B, A extends Access = Access> {
  readonly request: Request;
  /** The verified user; always present on `user` and `admin` routes, absent on the others. */
  readonly principal: A extends 'public' | 'internal' ? undefined : Principal;
  /** The calling service on `internal` routes: the id of the key that signed the request. */
  readonly service: A extends 'internal' ? ServiceCaller : undefined;
  readonly params: Parsed<P>;
  readonly query: Parsed<Q>;
  readonly body: B extends ZodType ? output<B> : undefined;
  readonly ctx: RequestContext;
}

/**
 * One method of one route, with its whole policy: access, rate-limit policy, audit action and
 * the schemas its path parameters, query and body must pass.
 */
export interface RouteDeclaration<
  P extends ZodType | undefined = ZodType | undefined,
  Q extends ZodType | undefined = ZodType | undefined,
  B extends ZodType | undefined = ZodType | undefined,
  A extends Access = Access,
> {
  readonly access: A;
  /** Name of the rate-limit policy that applies, in addition to the global ones. */
  readonly rateLimit: string;
  /**
   * Refuse cross-site requests (Fetch Metadata, then an exact `Origin` match against the
   * pipeline's `crossSite.origins`). For endpoints that act on cookies.
   * @default false
   */
  readonly sameSiteOnly?: boolean;
  /**
   * The audit action the pipeline records for every request to this route, such as
   * `note.create`; required on every route that is not `public`. A string, or the action with
   * how it is written: `durable` (the answer waits until the entry is on stable storage) and
   * `required` (the route does not run when entries cannot be recorded; implies `durable`).
   */
  readonly audit?: string | AuditDeclaration;
  /**
   * Sends `Cache-Control: no-store` on every answer of this route, as for routes that hand out
   * or take credentials. Answers to an authenticated caller get it whatever this says.
   * @default false
   */
  readonly noStore?: boolean;
  /**
   * Media types the body may be sent as, all read as JSON: for a route that takes documents of a
   * JSON-based type such as `application/reports+json`. Lowercase, without parameters.
   * @default ['application/json']
   */
  readonly mediaTypes?: readonly string[];
  /**
   * Lets any origin call this method from a browser, without credentials: CORS preflights for it
   * are answered, and its answers carry `Access-Control-Allow-Origin: *`. For endpoints that take
   * what any page may send, such as CSP reports; never for routes that read cookies or tokens.
   */
  readonly cors?: PublicCors;
  readonly params?: P;
  /** Query schema; without one, any query parameter is refused. */
  readonly query?: Q;
  /** Body schema (JSON); without one, the body is not read. */
  readonly body?: B;
  /**
   * Largest body accepted, in bytes, enforced while the body streams in.
   * @default the pipeline's `bodyLimit` (100 kB)
   */
  readonly bodyLimit?: number;
  handler(input: HandlerInput<P, Q, B, A>): Response | Promise<Response>;
}

/**
 * Declares one method of a route. It only returns its argument: its purpose is to infer the
 * handler's types from the schemas.
 *
 * @example
 * route({ access: 'public', rateLimit: 'api', body: NoteInput, handler: ({ body }) => ... })
 */
/** An audit action with how its entries are written. */
export interface AuditDeclaration {
  readonly action: string;
  /** @default false */
  readonly durable?: boolean;
  /** @default false */
  readonly required?: boolean;
}

/** The CORS answer of a route any origin may call. */
export interface PublicCors {
  readonly allowOrigin: '*';
  /** Request headers the browser may send, such as `content-type`. @default [] */
  readonly allowHeaders?: readonly string[];
  /** How long a browser may keep the preflight's answer. @default 7200 */
  readonly maxAgeSeconds?: number;
}

export function route<
  P extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  B extends ZodType | undefined = undefined,
  A extends Access = Access,
>(declaration: RouteDeclaration<P, Q, B, A>): RouteDeclaration<P, Q, B, A> {
  return declaration;
}

/** The declarations of one path, checked once when the route module loads. */
export interface RouteSet {
  readonly path: string;
  readonly methods: Readonly<Partial<Record<DeclaredMethod, RouteDeclaration>>>;
  /** The `Allow` header value for this path. */
  readonly allow: string;
}

const DECLARABLE = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ACCESS = new Set<string>(['public', 'user', 'admin', 'internal']);
const AUDIT_ACTION = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const DYNAMIC_SEGMENT = /\[(?:\.\.\.)?[A-Za-z_][A-Za-z0-9_]*\]/;

/**
 * Declares the routes of one path, in the file-system syntax of Next.js (`/api/notes/[id]`).
 * Mistakes a test would otherwise have to find throw here, when the module loads: an unknown
 * method, an unknown access level, a missing rate-limit policy, a body on `GET`, or a path
 * with parameters and no schema for them.
 */
export function defineRoutes(
  path: string,
  methods: Partial<Record<DeclaredMethod, RouteDeclaration>>,
): RouteSet {
  const hasParams = DYNAMIC_SEGMENT.test(path);

  for (const [method, declaration] of Object.entries(methods)) {
    const where = `${method} ${path}`;
    if (!DECLARABLE.has(method)) fail(`${where}: ${method} cannot be declared`);
    if (declaration === undefined) continue;
    if (!ACCESS.has(declaration.access)) fail(`${where}: unknown access level`);
    if (!declaration.rateLimit) fail(`${where}: a rate-limit policy name is required`);
    const action =
      typeof declaration.audit === 'string' ? declaration.audit : declaration.audit?.action;
    if (declaration.access !== 'public' && !action) {
      fail(`${where}: a route that is not public needs an audit action`);
    }
    if (action !== undefined && !AUDIT_ACTION.test(action)) {
      fail(`${where}: an audit action is dotted lower-case words, such as note.create`);
    }
    if (hasParams && !declaration.params) fail(`${where}: path parameters need a params schema`);
    if (method === 'GET' && declaration.body) fail(`${where}: GET cannot declare a body`);

    const limit = declaration.bodyLimit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
      fail(`${where}: bodyLimit must be a positive whole number of bytes`);
    }
  }

  const declared = Object.keys(methods).filter((method) => methods[method as DeclaredMethod]);
  const allow = [...declared, ...(declared.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].sort();
  return { path, methods, allow: allow.join(', ') };
}

function fail(message: string): never {
  throw new GatehouseError('ERR_ROUTE_INVALID', message);
}
