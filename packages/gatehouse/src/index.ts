/**
 * Gatehouse: layers of defence for HTTP API endpoints, on Web `Request` and `Response`.
 * Each layer also has its own subpath export (`gatehouse/pipeline`, `gatehouse/validation`, ...).
 * @module
 */
export { GatehouseError, type GatehouseErrorCode } from './errors.js';
export * from './pipeline/index.js';
export * from './validation/index.js';
