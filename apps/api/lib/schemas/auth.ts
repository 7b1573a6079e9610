import { z } from 'zod';

/**
 * The account schemas, shared by the API routes and the sign-in form. Password length follows
 * the authentication layer: 12 to 256 characters (NIST SP 800-63B allows long passphrases; the
 * upper bound keeps hashing cost bounded).
 */

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export const Email = z
  .string()
  .trim()
  .max(254, 'Email addresses are at most 254 characters.')
  .pipe(z.email('Enter an email address.'));

export const NewPassword = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`);

/** Login accepts any password up to the maximum, so old shorter ones still get a uniform answer. */
const AnyPassword = z
  .string()
  .min(1, 'Enter your password.')
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`);

export const Registration = z.strictObject({ email: Email, password: NewPassword });
export const Credentials = z.strictObject({ email: Email, password: AnyPassword });
export const PasswordChange = z.strictObject({
  currentPassword: AnyPassword,
  newPassword: NewPassword,
});
export const PasswordForgot = z.strictObject({ email: Email });
export const PasswordReset = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This reset link is not valid.'),
  newPassword: NewPassword,
});

export const UserListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
