/**
 * The route pipeline: route declarations, the request context, client addresses, request ids
 * and RFC 9457 problem details.
 * @module
 */
export { checkAccess, type AccessDecision, type Authenticator } from './access.js';
export {
  outcomeOf,
  reasonOf,
  type AuditActor,
  type AuditRecord,
  type AuditRecorder,
} from './audit.js';
export {
  createClientIpResolver,
  normalizeIp,
  parseTrustedProxies,
  type ClientIpResolver,
  type TrustedProxies,
} from './client-ip.js';
export { type RequestContext } from './context.js';
export { checkCrossSite, type CrossSitePolicy, type CrossSiteVerdict } from './cross-site.js';
export {
  createGatehouse,
  type Gatehouse,
  type GatehouseOptions,
  type Transport,
} from './gatehouse.js';
export { silentLogger, type Logger } from './logger.js';
export {
  problem,
  problemTypes,
  PROBLEM_JSON,
  type ProblemDetails,
  type ProblemKind,
} from './problem.js';
export { REQUEST_ID_HEADER } from './request-id.js';
export {
  defineRoutes,
  HTTP_METHODS,
  route,
  type Access,
  type AuditDeclaration,
  type DeclaredMethod,
  type HandlerInput,
  type HttpMethod,
  type PublicCors,
  type RouteDeclaration,
  type RouteSet,
  type ServiceCaller,
} from './route.js';
