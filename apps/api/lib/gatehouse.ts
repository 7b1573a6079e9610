import { createGatehouse, type Gatehouse } from 'gatehouse/pipeline';

import { getConfig } from './config';
import { getLogger } from './log';
import { processSingleton } from './process-singleton';

/**
 * The app's one pipeline, created on first request so that `next build`, which loads every route
 * module, opens nothing and reads no configuration.
 */
export function getGatehouse(): Gatehouse {
  return processSingleton('gatehouse', () => {
    const config = getConfig();
    return createGatehouse({
      logger: getLogger(),
      trustedProxies: config.trustedProxies,
      requestIdHeader: config.requestIdHeader,
      bodyLimit: config.bodyLimit,
    });
  });
}
