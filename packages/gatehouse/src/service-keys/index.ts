/**
 * The shared secrets of services that call internal routes: the embedded file store and a
 * resolver for the signature verifier.
 * @module
 */
export {
  assertKeyId,
  createServiceKey,
  createServiceKeyResolver,
  deleteServiceKey,
  describeServiceKeys,
  isServiceKeyLive,
  readServiceKeys,
  retireServiceKey,
  scheduleServiceKeyRetirement,
  type ServiceKeyInfo,
  type ServiceKeyRecord,
} from './files.js';
export { createProviderKeyResolver } from './provider.js';
