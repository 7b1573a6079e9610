/**
 * Secret names: one conservative grammar for every provider, since a name becomes a file path,
 * an environment variable and a Vault path.
 * @module
 */
import { GatehouseError } from '../errors.js';

/**
 * Segments of lower-case letters, digits, dots, dashes and underscores, separated by single
 * slashes, each starting with a letter or digit: no hidden files, no `.` or `..` segments, no
 * leading, trailing or doubled slash.
 */
const SEGMENT = '[a-z0-9][a-z0-9._-]*';
const NAME = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);
const MAX_NAME_LENGTH = 128;

/** Whether `name` is a valid secret name (see `assertSecretName`). */
export function isSecretName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length <= MAX_NAME_LENGTH &&
    NAME.test(name) &&
    !name.includes('..')
  );
}

/**
 * Checks a secret name, throwing `ERR_SECRET_NAME_INVALID` for anything else: 1-128 characters,
 * `/`-separated segments of `a-z 0-9 . _ -` that each start with a letter or digit, and no `..`.
 * @example
 * assertSecretName('db/password'); // passes
 * assertSecretName('../etc/passwd'); // throws
 */
export function assertSecretName(name: unknown): asserts name is string {
  if (!isSecretName(name)) {
    throw new GatehouseError(
      'ERR_SECRET_NAME_INVALID',
      'a secret name is 1-128 characters: lower-case letters, digits, ".", "_", "-" in segments ' +
        'separated by "/", each starting with a letter or digit, with no ".."',
    );
  }
}
