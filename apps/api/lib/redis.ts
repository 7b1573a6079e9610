import { createClient } from 'redis';

import { getConfig } from './config';
import { getLogger } from './log';
import { processSingleton } from './process-singleton';

/**
 * The process's one Redis connection (sessions and rate limits share it), opened on first use.
 * Commands fail fast while it is down instead of queueing, so callers' timeouts and fallbacks
 * decide what happens; the client reconnects by itself.
 */
export function getRedis() {
  return processSingleton('redis', () => {
    const url = getConfig().redisUrl;
    if (url === undefined) throw new Error('REDIS_URL is not set');

    const client = createClient({ url, disableOfflineQueue: true });
    client.on('error', (error: unknown) => getLogger().warn({ err: error }, 'redis error'));
    // Not awaited: the server starts (and answers, degraded) while Redis is still unreachable.
    client.connect().catch((error: unknown) => getLogger().error({ err: error }, 'redis connect'));
    return client;
  });
}
