/**
 * `node:http` adapter: serve route sets without a framework, with the socket address as the peer.
 * @module
 */
export { sendWebResponse, toWebRequest } from './adapter.js';
export { createRouter, type RouteMatch } from './router.js';
export { screenRequest } from './screen.js';
export { hideRouterVary } from './vary.js';
export { createNodeListener, type NodeListenerOptions } from './server.js';
