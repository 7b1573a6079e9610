/**
 * The one interface every secret source implements: values are read by `get` and by nothing
 * else, so metadata, listings and errors can be logged and shown without leaking a secret.
 * @module
 */
import { GatehouseError } from '../errors.js';

/** Where a provider reads its secrets. Docker and Kubernetes mounts are `files` too. */
export type SecretProviderKind = 'files' | 'env' | 'vault';

/**
 * What is known about a secret besides its value. It never holds the value, nor anything
 * derived from it (no hash, no length), so it is safe to log, list and serialize.
 */
export interface SecretMetadata {
  /** The secret's name, as passed to the provider. */
  readonly name: string;
  /**
   * The current version: a decimal number that grows with every `put` for providers that keep
   * versions (`files`, `vault`); `undefined` where the source has none (env, mounts).
   */
  readonly version: string | undefined;
  /** When the secret first existed; `undefined` where the source cannot tell (env). */
  readonly createdAt: Date | undefined;
  /**
   * When the current value was written: the last change or rotation. This is the date a
   * review compares against its age limit. `undefined` where the source cannot tell (env).
   */
  readonly updatedAt: Date | undefined;
}

/** A secret's value with its metadata, as `get` returns it. */
export interface Secret {
  /**
   * The raw bytes. Text secrets are their UTF-8 encoding; `secretText` decodes them. Keep the
   * value out of logs, error messages and responses.
   */
  readonly value: Uint8Array;
  readonly metadata: SecretMetadata;
}

/**
 * A source of named secrets. Names follow `assertSecretName`; every method refuses any other
 * name with `ERR_SECRET_NAME_INVALID` before touching the source.
 *
 * Errors are `GatehouseError`s: `ERR_SECRET_READ_ONLY` from `put` on a read-only provider,
 * `ERR_SECRET_DENIED` when the source refuses access, `ERR_SECRET_UNAVAILABLE` when it cannot
 * be reached in time, `ERR_SECRET_INVALID` when what it holds is malformed, and
 * `ERR_SECRET_FILE_UNSAFE` for a file others may read. None carries a value or a credential.
 */
export interface SecretProvider {
  readonly kind: SecretProviderKind;
  /** Whether `put` can store new versions. */
  readonly writable: boolean;
  /** The current value and its metadata; `undefined` for a secret that does not exist. */
  get(name: string): Promise<Secret | undefined>;
  /** The current metadata without reading out the value; `undefined` for an unknown secret. */
  metadata(name: string): Promise<SecretMetadata | undefined>;
  /** Every secret the provider holds, sorted by name, without values. */
  list(): Promise<SecretMetadata[]>;
  /**
   * Stores `value` as the secret's new current version (the first for a new name) and returns
   * its metadata. Strings are stored as UTF-8. Throws `ERR_SECRET_READ_ONLY` when not writable.
   */
  put(name: string, value: string | Uint8Array): Promise<SecretMetadata>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A secret's value as text, decoded as UTF-8; throws `ERR_SECRET_INVALID` for bytes that are
 * not UTF-8.
 * @example
 * const password = secretText(await provider.get('db/password'));
 */
export function secretText(secret: Secret): string {
  try {
    return utf8.decode(secret.value);
  } catch {
    throw new GatehouseError('ERR_SECRET_INVALID', `secret "${secret.metadata.name}" is not text`);
  }
}

/** A value as bytes: strings as UTF-8, bytes copied so later changes do not reach the store. */
export function secretBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
}

/** The error `put` throws on a provider that only reads. */
export function readOnlyError(kind: SecretProviderKind): GatehouseError {
  return new GatehouseError('ERR_SECRET_READ_ONLY', `the ${kind} secret provider is read-only`);
}
