/**
 * Runs once when the server starts: opens and migrates the app database, so a bad configuration
 * or an unreachable database fails the start instead of the first request. The production server
 * (`server.js`) leaves a start-up signal on `globalThis` and waits for it before it listens.
 */
interface StartupSignal {
  resolve(): void;
  reject(error: unknown): void;
}

export async function register(): Promise<void> {
  if (process.env['NEXT_RUNTIME'] !== 'nodejs') return;

  const signal = (globalThis as Record<symbol, StartupSignal | undefined>)[
    Symbol.for('gatehouse.api.startup')
  ];
  try {
    const { getAppDatabase } = await import('./lib/db');
    const { getPageProfile } = await import('./lib/csp');
    getPageProfile();
    await getAppDatabase();
    const { getAudit } = await import('./lib/audit');
    await getAudit();
    await warnAboutSecrets();
    signal?.resolve();
  } catch (error) {
    if (!signal) throw error;
    signal.reject(error);
  }
}

/** Environment-variable secrets carry no dates, so no review can tell their age. */
async function warnAboutSecrets(): Promise<void> {
  const { getConfig } = await import('./lib/config');
  const { getLogger } = await import('./lib/log');
  const { envProviderWarnings } = await import('gatehouse/secrets');
  const config = getConfig();
  if (config.secrets.provider !== 'env') return;
  for (const warning of envProviderWarnings(config.environment)) getLogger().warn({}, warning);
}
