import { createGatehouse, type Gatehouse } from 'gatehouse/pipeline';

import { getConfig } from './config';
import { getLogger } from './log';

let gatehouse: Gatehouse | undefined;

/**
 * The app's one pipeline, created on first request so that `next build`, which loads every route
 * module, opens nothing and reads no configuration.
 */
export function getGatehouse(): Gatehouse {
  if (gatehouse) return gatehouse;

  const config = getConfig();
  gatehouse = createGatehouse({
    logger: getLogger(),
    trustedProxies: config.trustedProxies,
    requestIdHeader: config.requestIdHeader,
    bodyLimit: config.bodyLimit,
  });
  return gatehouse;
}
