/**
 * Service keys read through a secret provider (environment variables, Vault or OpenBao) instead
 * of the embedded files: the secret `hmac/<key id>` holds the key as `gatehouse keys hmac create`
 * prints it (base64url of 32 bytes or more). Rotation is the provider's: write a new version, or
 * a new key id beside the old one for an overlap.
 * @module
 */
import { createSecretCache } from '../secrets/cache.js';
import type { SecretProvider } from '../secrets/provider.js';
import { assertKeyId } from './files.js';

const BASE64URL = /^[A-Za-z0-9_-]{43,}$/;

/**
 * A key resolver for the signature verifier over a secret provider. Values are read again after
 * `refreshMs`, so a new version is taken up without a restart; a value that is not base64url of
 * at least 32 bytes resolves to nothing (the verifier then refuses the key).
 */
export function createProviderKeyResolver(
  provider: SecretProvider,
  options: { readonly refreshMs?: number; readonly clock?: () => number } = {},
): (keyId: string) => Promise<Uint8Array[]> {
  const cache = createSecretCache(provider, {
    refreshMs: options.refreshMs ?? 5_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return async (keyId) => {
    try {
      assertKeyId(keyId);
    } catch {
      return [];
    }
    const secret = await cache.get(`hmac/${keyId.toLowerCase()}`);
    if (secret === undefined) return [];
    const text = new TextDecoder().decode(secret.value).trim();
    return BASE64URL.test(text) ? [new Uint8Array(Buffer.from(text, 'base64url'))] : [];
  };
}
