/**
 * Runs once when the server starts: opens and migrates the app database, so a bad configuration
 * or an unreachable database fails the start instead of the first request.
 */
export async function register(): Promise<void> {
  if (process.env['NEXT_RUNTIME'] !== 'nodejs') return;

  const { getAppDatabase } = await import('./lib/db');
  await getAppDatabase();
}
