import { loadConfig, type GatehouseConfig } from 'gatehouse/config';

let config: GatehouseConfig | undefined;

/** The deployment configuration, validated once on first use (the server also checks it at start). */
export function getConfig(): GatehouseConfig {
  config ??= loadConfig(process.env);
  return config;
}
