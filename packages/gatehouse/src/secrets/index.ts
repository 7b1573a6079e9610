/**
 * Secret providers: one interface over the app's own secret files, mounted secret files,
 * environment variables and HashiCorp Vault or OpenBao KV v2, and a cache that takes up new
 * versions without a restart. Values are read by `get` only; metadata never holds them.
 * @module
 */
export { createSecretCache, type SecretCache, type SecretCacheOptions } from './cache.js';
export {
  createEnvSecretProvider,
  envProviderWarnings,
  envSecretVariable,
  type EnvSecretProviderOptions,
} from './env-provider.js';
export type { ReadableBy } from './file-access.js';
export { createFileSecretProvider, type FileSecretProviderOptions } from './file-provider.js';
export { createMountSecretProvider, type MountSecretProviderOptions } from './mount-provider.js';
export { assertSecretName, isSecretName } from './names.js';
export {
  secretText,
  type Secret,
  type SecretMetadata,
  type SecretProvider,
  type SecretProviderKind,
} from './provider.js';
export { createVaultSecretProvider, type VaultSecretProviderOptions } from './vault-provider.js';
