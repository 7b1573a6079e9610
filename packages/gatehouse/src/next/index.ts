/**
 * Next.js adapter: route handlers for the App Router, and the peer-address bridge a Node.js
 * server uses to tell them the socket address.
 * @module
 */
export {
  isPipelineHandler,
  nextHandlers,
  nextNotFoundHandlers,
  type GatehouseSource,
  type NextRouteHandler,
  type NextRouteHandlers,
} from './handlers.js';
export {
  addAuditDetail,
  currentAuditDetails,
  currentPeerAddress,
  runWithPeerAddress,
} from './peer.js';
