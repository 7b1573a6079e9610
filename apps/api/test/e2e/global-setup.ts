import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TestProject } from 'vitest/node';

import {
  createAuditTestDatabase,
  createTestDatabase,
} from '../../../../packages/gatehouse/test/support/postgres.js';
import { startVaultTestServer } from '../../../../packages/gatehouse/src/secrets/test/vault-server.js';
import { freePort } from './ports.js';

/** One running instance of the reference API, as the tests see it. */
export interface ServerUnderTest {
  /**
   * `postgres` and `postgres-b` are two instances sharing one database, key directory and Redis.
   * `report-only` serves its pages' CSP report-only, and has an https public URL, as behind a
   * TLS-terminating proxy (so it sends HSTS).
   */
  readonly name: 'sqlite' | 'postgres' | 'postgres-b' | 'limited' | 'limited-b' | 'report-only';
  readonly url: string;
  readonly logFile: string;
  /** The environment it runs with, for CLI calls against the same deployment. */
  readonly env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ServerUnderTest[];
    /** Ports for test pages: the embedded server allows `allowed` as a CORS origin, not `other`. */
    corsPages: { allowed: number; other: number };
    /**
     * The in-process server implementing Vault's KV v2 API that the `report-only` instance reads
     * its service keys from (`hmac/<key id>` under the `gatehouse` prefix).
     */
    vault: { address: string; token: string };
  }
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no answer from ${url}/api/health`);
}

/**
 * Starts the reference API the way a user does, with `npm start` (which builds when needed):
 * once on the embedded SQLite default and once on a fresh PostgreSQL database.
 */
export default async function setup(project: TestProject) {
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const database = await createTestDatabase();
  // The PostgreSQL pair keeps its audit log in a database of its own, written by an insert-only role.
  const auditDatabase = await createAuditTestDatabase();
  const children: ChildProcess[] = [];
  const servers: ServerUnderTest[] = [];

  // Build first, alone, so the two servers do not race to build.
  const build = spawnSync(process.execPath, [join(root, 'scripts/build-if-needed.mjs')], {
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) throw new Error('the reference API did not build');

  // The two PostgreSQL instances share everything a scaled-out deployment shares: the app
  // database, the signing keys and Redis for refresh sessions.
  const shared = {
    DATABASE_URL: database.url,
    GATEHOUSE_DATA_DIR: join(work, 'postgres-data'),
    GATEHOUSE_SESSION_STORE: 'redis',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    AUDIT_DATABASE_URL: auditDatabase.writerUrl,
  };
  // Most suites send far more requests from 127.0.0.1 than the default policies allow; they run
  // with raised limits. The two `limited` instances keep the defaults, share their counters in
  // Redis and trust a loopback proxy, so rate-limit tests can stand for many clients through
  // X-Forwarded-For.
  const relaxed = { GATEHOUSE_RATE_LIMITS: JSON.stringify(raisedLimits()) };
  const limitedEnv = {
    GATEHOUSE_TRUSTED_PROXIES: 'loopback',
    GATEHOUSE_RATE_LIMIT_STORE: 'redis',
    REDIS_URL: shared.REDIS_URL,
  };
  const corsPages = { allowed: await freePort(), other: await freePort() };
  const vaultToken = `e2e-${crypto.randomUUID()}`;
  const vault = await startVaultTestServer({ token: vaultToken });
  const variants = [
    {
      name: 'sqlite' as const,
      env: {
        ...relaxed,
        GATEHOUSE_DATA_DIR: join(work, 'sqlite-data'),
        GATEHOUSE_CORS_ORIGINS: `http://127.0.0.1:${corsPages.allowed}, https://*.partner.test`,
      },
    },
    {
      name: 'postgres' as const,
      env: { ...relaxed, ...shared, GATEHOUSE_RATE_LIMIT_STORE: 'redis' },
    },
    {
      name: 'postgres-b' as const,
      env: { ...relaxed, ...shared, GATEHOUSE_RATE_LIMIT_STORE: 'redis' },
    },
    { name: 'limited' as const, env: { ...limitedEnv, GATEHOUSE_DATA_DIR: join(work, 'limited') } },
    {
      name: 'limited-b' as const,
      env: { ...limitedEnv, GATEHOUSE_DATA_DIR: join(work, 'limited-b') },
    },
    {
      name: 'report-only' as const,
      env: {
        ...relaxed,
        GATEHOUSE_DATA_DIR: join(work, 'report-only'),
        GATEHOUSE_CSP_MODE: 'report-only',
        GATEHOUSE_SECRET_PROVIDER: 'vault',
        VAULT_ADDR: vault.address,
        VAULT_TOKEN: vaultToken,
      },
    },
  ];
  for (const variant of variants) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logFile = join(work, `${variant.name}.log`);
    const log = openSync(logFile, 'a');
    const env = {
      ...variant.env,
      PORT: String(port),
      // One deployment has one public URL, whichever instance the balancer picks.
      GATEHOUSE_PUBLIC_URL: variant.name === 'postgres-b' ? (servers[1]?.url ?? url) : url,
      ...(variant.name === 'report-only' ? { GATEHOUSE_PUBLIC_URL: 'https://gatehouse.test' } : {}),
      GATEHOUSE_REFRESH_GRACE: '2',
      LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
      cwd: root,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...env },
    });
    children.push(child);

    await waitForHealth(url, child);
    servers.push({ name: variant.name, url, logFile, env });
  }

  project.provide('servers', servers);
  project.provide('corsPages', corsPages);
  project.provide('vault', { address: vault.address, token: vaultToken });

  return async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
      ),
    );
    await database.drop();
    await auditDatabase.drop();
    await vault.close();
    rmSync(work, { recursive: true, force: true });
  };
}

function raisedLimits() {
  const names = ['ip', 'user', 'health', 'public', 'api', 'api-write', 'admin', 'csp-reports'];
  const sensitive = ['auth-login', 'auth-login-account', 'auth-register', 'auth-refresh'];
  const raised = [
    ...names,
    ...sensitive,
    'auth-password',
    'auth-forgot-account',
    'auth-forgot',
    'auth-forgot-account',
    'auth-reset',
  ];
  return Object.fromEntries(raised.map((name) => [name, { limit: 100_000 }]));
}
