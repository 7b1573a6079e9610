import { join } from 'node:path';

import {
  createAccessTokenVerifier,
  createAccountService,
  createAccountStore,
  createKeyRing,
  createPasswordHasher,
  createRedisSessionStore,
  createSessionManager,
  createSqlSessionStore,
  issueAccessToken,
  loadOrCreateSigningKeys,
  type AccessTokenVerifier,
  type AccountService,
  type AccountStore,
  type KeyRing,
  type SessionManager,
} from 'gatehouse/auth';
import { createFileMailer, createSmtpMailer } from 'gatehouse/mail';
import { addAuditDetail, currentAuditDetails } from 'gatehouse/next';

import { getConfig } from './config';
import { getAppDatabase } from './db';
import { getLogger } from './log';
import { processSingleton } from './process-singleton';
import { getRedis } from './redis';

/** The authentication layer as the app runs it. */
export interface AppAuth {
  readonly ring: KeyRing;
  readonly verifier: AccessTokenVerifier;
  readonly accounts: AccountStore;
  readonly sessions: SessionManager;
  readonly service: AccountService;
}

/**
 * Builds the authentication layer once per process: the signing keys (generated on first start
 * under `<dataDir>/secrets/jwt`, mode 0600), the token verifier with its cache, the session
 * store (the app database, or Redis), the accounts and the mailer.
 */
export function getAuth(): Promise<AppAuth> {
  return processSingleton('auth', build);
}

async function build(): Promise<AppAuth> {
  const config = getConfig();
  const log = getLogger();
  const { db } = await getAppDatabase();

  const keyDir = join(config.dataDir, 'secrets', 'jwt');
  const records = await loadOrCreateSigningKeys(keyDir);
  const ring = await createKeyRing(records);
  watchSigningKeys(ring, keyDir, records);
  const settings = {
    issuer: config.publicUrl,
    audience: `${config.publicUrl}/api`,
    lifetimeSeconds: config.auth.accessTokenSeconds,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
  };
  const verifier = createAccessTokenVerifier(ring, settings);

  const sessions = createSessionManager(await sessionStore(db), {
    absoluteLifetimeSeconds: config.auth.sessionLifetimeSeconds,
    idleTimeoutSeconds: config.auth.sessionIdleSeconds,
    reuseGraceSeconds: config.auth.refreshGraceSeconds,
  });
  const accounts = createAccountStore(db);
  const mailer = config.mail.smtpUrl
    ? createSmtpMailer(config.mail.smtpUrl, { from: config.mail.from })
    : createFileMailer(join(config.dataDir, 'outbox'), { from: config.mail.from });

  const service = createAccountService({
    accounts,
    sessions,
    mailer,
    hasher: createPasswordHasher(),
    issueAccessToken: (subject) => issueAccessToken(ring, settings, subject),
    publicUrl: config.publicUrl,
    onSecurityEvent: (event) => {
      // Events ride on the audit entry of the request they happened in, in order.
      const before = currentAuditDetails()?.['events'];
      addAuditDetail('events', before === undefined ? event.event : `${before},${event.event}`);
      if (event.userId !== undefined) addAuditDetail('userId', event.userId);
      if (event.reason !== undefined) addAuditDetail('eventReason', event.reason);
      const level = event.event === 'authn_token_reuse' ? 'warn' : 'info';
      log[level](
        { security: event.event, userId: event.userId, reason: event.reason },
        'security event',
      );
    },
  });

  return { ring, verifier, accounts, sessions, service };
}

/**
 * Reads the key directory again every few seconds, so that `gatehouse keys rotate jwt` and
 * `keys retire` reach running servers without a restart: new tokens are signed with the new
 * active key within seconds, and a retired key stops verifying.
 */
function watchSigningKeys(
  ring: KeyRing,
  dir: string,
  initial: readonly { kid: string; state: string }[],
): void {
  const fingerprint = (records: readonly { kid: string; state: string }[]) =>
    records.map((record) => `${record.kid}:${record.state}`).join(',');
  let seen = fingerprint(initial);
  const timer = setInterval(() => {
    loadOrCreateSigningKeys(dir)
      .then(async (records) => {
        const next = fingerprint(records);
        if (next === seen) return;
        seen = next;
        await ring.replace(records);
        getLogger().info({ keys: records.length }, 'signing keys reloaded');
      })
      .catch((error: unknown) => getLogger().error({ err: error }, 'signing keys not reloaded'));
  }, KEY_RELOAD_MS);
  timer.unref();
}

const KEY_RELOAD_MS = 5_000;

async function sessionStore(db: Awaited<ReturnType<typeof getAppDatabase>>['db']) {
  const config = getConfig();
  if (config.auth.sessionStore !== 'redis' || config.redisUrl === undefined) {
    return createSqlSessionStore(db);
  }

  return createRedisSessionStore(getRedis());
}
