import { createBearerAuthenticator } from 'gatehouse/auth';
import { join } from 'node:path';

import { createCorsPolicy } from 'gatehouse/cors';
import { createGatehouse, type Gatehouse } from 'gatehouse/pipeline';
import {
  createMemoryRateLimitStore,
  createRateLimiter,
  createRedisRateLimitStore,
} from 'gatehouse/rate-limit';
import { createProviderKeyResolver, createServiceKeyResolver } from 'gatehouse/service-keys';
import {
  createMemoryReplayStore,
  createRedisReplayStore,
  createSignatureVerifier,
} from 'gatehouse/signatures';

import { getAudit } from './audit';
import { getAuth } from './auth';
import { getConfig } from './config';
import { getLogger } from './log';
import { processSingleton } from './process-singleton';
import { getRedis } from './redis';
import { getSecretProvider } from './secrets';

/**
 * The app's one pipeline, created on first request so that `next build`, which loads every route
 * module, opens nothing and reads no configuration.
 */
export function getGatehouse(): Promise<Gatehouse> {
  return processSingleton('gatehouse', async () => {
    const config = getConfig();
    const { verifier } = await getAuth();
    const { recorder } = await getAudit();

    return createGatehouse({
      logger: getLogger(),
      trustedProxies: config.trustedProxies,
      requestIdHeader: config.requestIdHeader,
      bodyLimit: config.bodyLimit,
      hsts: { behindTlsProxy: config.headers.behindTlsProxy, preload: config.headers.hstsPreload },
      authenticator: createBearerAuthenticator(verifier),
      rateLimiter: createRateLimiter({
        store:
          config.rateLimit.store === 'redis'
            ? createRedisRateLimitStore(getRedis())
            : createMemoryRateLimitStore(),
        policies: config.rateLimit.policies,
        ipv6Prefix: config.rateLimit.ipv6Prefix,
      }),
      crossSite: {
        origins: [config.publicUrl],
        allowNonBrowserClients: config.auth.allowNonBrowserClients,
      },
      cors: createCorsPolicy({ ...config.cors, production: config.environment === 'production' }),
      audit: recorder,
      signedCalls: {
        verifier: createSignatureVerifier({
          keys: serviceKeys(config.dataDir),
          // Shared by every instance when there is Redis, so a nonce is accepted once anywhere.
          replay:
            config.redisUrl === undefined
              ? createMemoryReplayStore()
              : createRedisReplayStore(getRedis()),
        }),
        publicOrigin: config.publicUrl,
      },
    });
  });
}

/** Service keys from the secret provider when one is configured, else the embedded files. */
function serviceKeys(dataDir: string) {
  const provider = getSecretProvider();
  return provider
    ? createProviderKeyResolver(provider)
    : createServiceKeyResolver(join(dataDir, 'secrets', 'hmac'));
}
