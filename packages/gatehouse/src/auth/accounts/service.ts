import type { Mailer } from '../../mail/types.js';
import type { PasswordHasher } from '../passwords.js';
import type { IssuedRefresh, SessionManager } from '../sessions/types.js';
import { systemClock, type Clock, type Role } from '../types.js';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../opaque-token.js';
import { normaliseEmail, type Account, type AccountStore } from './store.js';

/**
 * The account flows of the authentication layer: register, login, refresh, logout, password
 * change and reset. Each flow answers the same way whether or not an account exists, so none of
 * them tells an attacker which emails are registered.
 * @module
 */

/** A security event, named after the OWASP Logging Vocabulary where it has a name. */
export interface SecurityEvent {
  readonly event:
    | 'authn_login_success'
    | 'authn_login_fail'
    | 'authn_token_created'
    | 'authn_token_refreshed'
    | 'authn_token_reuse'
    | 'authn_token_revoked'
    | 'authn_password_change'
    | 'authn_password_change_fail'
    | 'authn_password_reset_requested'
    | 'authn_password_reset'
    | 'user_created'
    | 'user_disabled';
  readonly userId?: string | undefined;
  readonly reason?: string;
}

export interface AccountServiceOptions {
  readonly accounts: AccountStore;
  readonly hasher: PasswordHasher;
  readonly sessions: SessionManager;
  readonly mailer: Mailer;
  /** Signs an access token for a user: the token module's `issueAccessToken` bound to its ring. */
  issueAccessToken(subject: {
    userId: string;
    role: Role;
  }): Promise<{ token: string; expiresIn: number }>;
  /** The deployment's public URL: reset links are built from it, never from a `Host` header. */
  readonly publicUrl: string;
  /** Path of the reset page under the public URL. @default '/reset-password' */
  readonly resetPath?: string;
  /** Lifetime of a reset token. @default 1800 (30 minutes) */
  readonly resetTokenSeconds?: number;
  /** Receives security events; the app logs them (and the audit layer records them). */
  onSecurityEvent?(event: SecurityEvent): void;
  readonly clock?: Clock;
}

/** What a successful login or refresh hands to the HTTP edge. */
export interface Grant {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refresh: IssuedRefresh;
  readonly userId: string;
}

export type RefreshResult =
  { readonly ok: true; readonly grant: Grant } | { readonly ok: false; readonly reuse: boolean };

export interface AccountService {
  register(email: string, password: string): Promise<void>;
  login(email: string, password: string): Promise<Grant | undefined>;
  refresh(refreshToken: string): Promise<RefreshResult>;
  logout(refreshToken: string): Promise<void>;
  changePassword(input: {
    userId: string;
    currentPassword: string;
    newPassword: string;
    refreshToken: string | undefined;
  }): Promise<boolean>;
  forgotPassword(email: string): Promise<void>;
  resetPassword(token: string, newPassword: string): Promise<boolean>;
  /**
   * Disables an account and revokes all its sessions, so no refresh succeeds again; access
   * tokens already issued stay valid until they expire (minutes). `by` names who asked, such
   * as a service key id. Returns false when there is no such account.
   */
  disableAccount(userId: string, by: string): Promise<boolean>;
}

/** Creates the account flows over their stores. */
export function createAccountService(options: AccountServiceOptions): AccountService {
  const { accounts, hasher, sessions, mailer } = options;
  const clock = options.clock ?? systemClock;
  const emit = (event: SecurityEvent) => options.onSecurityEvent?.(event);
  const resetSeconds = options.resetTokenSeconds ?? 1800;
  const resetUrl = new URL(options.resetPath ?? '/reset-password', options.publicUrl);

  async function grant(account: Pick<Account, 'id' | 'role'>, refresh: IssuedRefresh) {
    const access = await options.issueAccessToken({ userId: account.id, role: account.role });
    return { accessToken: access.token, expiresIn: access.expiresIn, refresh, userId: account.id };
  }

  async function usable(userId: string): Promise<Account | undefined> {
    const account = await accounts.findById(userId);
    return account && account.disabledAt === undefined ? account : undefined;
  }

  return {
    async register(email, password) {
      const passwordHash = await hasher.hash(password);
      const created = await accounts.create({ email, passwordHash });
      if (created) {
        emit({ event: 'user_created', userId: created.id });
        return;
      }
      // The address is taken: tell its owner, not the caller.
      await mailer.send({
        to: normaliseEmail(email),
        subject: 'Someone tried to register with your address',
        text: 'An account already exists for this address. If this was you, sign in or reset your password.',
      });
    },

    async login(email, password) {
      const account = await accounts.findByEmail(email);
      if (!account) {
        await hasher.verifyNothing(password);
        emit({ event: 'authn_login_fail', reason: 'unknown_account' });
        return undefined;
      }

      const check = await hasher.verify(account.passwordHash, password);
      if (!check.valid || account.disabledAt !== undefined) {
        emit({
          event: 'authn_login_fail',
          userId: account.id,
          reason: check.valid ? 'disabled' : 'password',
        });
        return undefined;
      }
      if (check.rehash)
        await accounts.setPasswordHash(account.id, await hasher.hash(password), false);

      const refresh = await sessions.start(account.id);
      emit({ event: 'authn_login_success', userId: account.id });
      emit({ event: 'authn_token_created', userId: account.id });
      return grant(account, refresh);
    },

    async refresh(refreshToken) {
      const outcome = await sessions.refresh(refreshToken);
      if (outcome.kind === 'reuse_detected') {
        emit({ event: 'authn_token_reuse', userId: outcome.userId, reason: 'family revoked' });
        return { ok: false, reuse: true };
      }
      if (outcome.kind === 'invalid') return { ok: false, reuse: false };

      const account = await usable(outcome.userId);
      if (!account) {
        await sessions.revokeAll(outcome.userId, 'disabled');
        return { ok: false, reuse: false };
      }
      emit({ event: 'authn_token_refreshed', userId: account.id });
      return { ok: true, grant: await grant(account, outcome.refresh) };
    },

    async logout(refreshToken) {
      const userId = await sessions.revoke(refreshToken, 'logout');
      if (userId) emit({ event: 'authn_token_revoked', userId, reason: 'logout' });
    },

    async changePassword({ userId, currentPassword, newPassword, refreshToken }) {
      const account = await usable(userId);
      const check = account
        ? await hasher.verify(account.passwordHash, currentPassword)
        : undefined;
      if (!account || !check?.valid) {
        emit({ event: 'authn_password_change_fail', userId });
        return false;
      }

      await accounts.setPasswordHash(userId, await hasher.hash(newPassword), true);
      const current = refreshToken ? await sessions.familyOf(refreshToken) : undefined;
      await sessions.revokeAll(
        userId,
        'password_change',
        current ? { exceptFamilyId: current } : {},
      );
      await accounts.dropResetTokens(userId);
      emit({ event: 'authn_password_change', userId });
      return true;
    },

    async forgotPassword(email) {
      const account = await accounts.findByEmail(email);
      if (!account || account.disabledAt !== undefined) return;

      const token = newOpaqueToken();
      await accounts.addResetToken({
        tokenHash: await hashOpaqueToken(token),
        accountId: account.id,
        expiresAt: clock() + resetSeconds * 1000,
      });
      const link = new URL(resetUrl);
      link.searchParams.set('token', token);
      emit({ event: 'authn_password_reset_requested', userId: account.id });

      // Not awaited: the answer must not take longer for registered addresses than for others.
      void mailer
        .send({
          to: account.email,
          subject: 'Reset your password',
          text: `To choose a new password, open ${link.href}\nThe link works once, for ${resetSeconds / 60} minutes.`,
        })
        .catch(() =>
          emit({
            event: 'authn_password_reset_requested',
            userId: account.id,
            reason: 'mail_failed',
          }),
        );
    },

    async resetPassword(token, newPassword) {
      if (!isOpaqueToken(token)) return false;
      const accountId = await accounts.consumeResetToken(await hashOpaqueToken(token), clock());
      if (!accountId) return false;

      await accounts.setPasswordHash(accountId, await hasher.hash(newPassword), true);
      await accounts.dropResetTokens(accountId);
      await sessions.revokeAll(accountId, 'password_reset');
      emit({ event: 'authn_password_reset', userId: accountId });
      return true;
    },

    async disableAccount(userId, by) {
      if (!(await accounts.setDisabled(userId, true))) return false;
      await sessions.revokeAll(userId, 'disabled');
      emit({ event: 'user_disabled', userId, reason: by });
      return true;
    },
  };
}
