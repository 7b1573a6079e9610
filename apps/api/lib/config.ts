import { loadConfig, type GatehouseConfig } from 'gatehouse/config';

import { processSingleton } from './process-singleton';

/** The deployment configuration, validated once on first use (the server also checks it at start). */
export function getConfig(): GatehouseConfig {
  return processSingleton('config', () => loadConfig(process.env));
}
