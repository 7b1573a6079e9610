/**
 * Secrets in a HashiCorp Vault or OpenBao KV version 2 engine, over its HTTP API with token
 * authentication. A secret is the `value` field of the KV entry at `<pathPrefix>/<name>`:
 * `vault kv put -mount=secret gatehouse/db/password value=...` is what this provider reads as
 * `db/password`. Binary values that are not UTF-8 are stored as `value_base64` instead.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 * @module
 */
import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { assertSecretName, isSecretName } from './names.js';
import {
  readOnlyError,
  secretBytes,
  type Secret,
  type SecretMetadata,
  type SecretProvider,
} from './provider.js';
import { callVault, type VaultCallContext } from './vault-http.js';

/** Options of `createVaultSecretProvider`. */
export interface VaultSecretProviderOptions {
  /** The server's base URL, `https://vault.internal:8200`. Plain `http` only on loopback. */
  readonly address: string;
  /**
   * The token sent as `X-Vault-Token`, or a function returning the current one, for tokens an
   * agent renews. Never logged nor put in an error.
   */
  readonly token: string | (() => string | Promise<string>);
  /** Where the KV v2 engine is mounted. @default 'secret' */
  readonly mount?: string;
  /** The folder under the mount that holds this app's secrets; empty for the mount's root. */
  readonly pathPrefix?: string;
  /** Sent as `X-Vault-Namespace` (Vault Enterprise, OpenBao namespaces). */
  readonly namespace?: string;
  /** How long one request may take. @default 5000 */
  readonly timeoutMs?: number;
  /** Refuse `put` even when the token could write. @default false */
  readonly readOnly?: boolean;
  /**
   * Accept an `http:` address that is not loopback. The token and every secret then cross the
   * network in clear: only for a private link you trust. @default false
   */
  readonly allowInsecureHttp?: boolean;
}

const PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_LIST_DEPTH = 16;

const time = z.iso.datetime({ offset: true });
const versionSchema = z.object({
  created_time: time,
  deletion_time: z.string().optional(),
  destroyed: z.boolean().optional(),
});
const readSchema = z.object({
  data: z.object({
    data: z.record(z.string(), z.unknown()).nullable(),
    metadata: versionSchema.extend({ version: z.number().int().positive() }),
  }),
});
const metadataSchema = z.object({
  data: z.object({
    created_time: time,
    updated_time: time,
    current_version: z.number().int().nonnegative(),
    versions: z.record(z.string(), versionSchema),
  }),
});
const listSchema = z.object({ data: z.object({ keys: z.array(z.string()) }) });
const writeSchema = z.object({
  data: z.object({ created_time: time, version: z.number().int().positive() }),
});

/**
 * A `vault` provider. `get` reads the entry and its metadata (two requests), `metadata` one,
 * `list` one per folder plus one per secret. `metadata.updatedAt` is the current version's
 * `created_time`; the entry's own `updated_time` also moves when only its settings change.
 *
 * The token's policy needs `read` on `<mount>/data/<prefix>/*`, `read` and `list` on
 * `<mount>/metadata/<prefix>/*`, and `create` and `update` on the data path to `put`.
 * @example
 * const secrets = createVaultSecretProvider({
 *   address: 'https://vault.internal:8200',
 *   token: process.env.VAULT_TOKEN ?? '',
 *   pathPrefix: 'gatehouse',
 * });
 */
export function createVaultSecretProvider(options: VaultSecretProviderOptions): SecretProvider {
  const base = parseAddress(options.address, options.allowInsecureHttp === true);
  const mount = options.mount ?? 'secret';
  const prefix = options.pathPrefix ?? '';
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!PATH.test(mount) || mount.includes('..')) throw invalidOption('mount');
  if (prefix !== '' && (!PATH.test(prefix) || prefix.includes('..'))) {
    throw invalidOption('pathPrefix');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw invalidOption('timeoutMs');
  if (typeof options.token === 'string' && options.token === '') throw invalidOption('token');

  const { token } = options;
  const context: VaultCallContext = {
    token: typeof token === 'function' ? token : () => token,
    namespace: options.namespace,
    timeoutMs,
  };
  const url = (area: 'data' | 'metadata', path: string) => {
    const full = [prefix, path].filter((part) => part !== '').join('/');
    return new URL(`${base}/v1/${mount}/${area}/${full}`);
  };

  async function readMetadata(name: string): Promise<SecretMetadata | undefined> {
    const answer = await callVault(
      context,
      { method: 'GET', url: url('metadata', name) },
      'metadata read',
      name,
    );
    if (!answer.found) return undefined;
    const { data } = parse(metadataSchema, answer.body, name);
    const current = data.versions[String(data.current_version)];
    if (data.current_version === 0 || isGone(current)) return undefined;
    return {
      name,
      version: String(data.current_version),
      createdAt: new Date(data.created_time),
      updatedAt: new Date(current?.created_time ?? data.updated_time),
    };
  }

  async function listFolder(folder: string, depth: number): Promise<string[]> {
    if (depth > MAX_LIST_DEPTH) return [];
    const target = url('metadata', folder);
    target.pathname = target.pathname.endsWith('/') ? target.pathname : `${target.pathname}/`;
    // GET with list=true is the documented equivalent of the LIST method.
    target.searchParams.set('list', 'true');
    const answer = await callVault(context, { method: 'GET', url: target }, 'list', folder || '/');
    if (!answer.found) return [];

    const names: string[] = [];
    for (const key of parse(listSchema, answer.body, folder || '/').data.keys) {
      const child = folder === '' ? key : `${folder}/${key}`;
      if (key.endsWith('/')) names.push(...(await listFolder(child.slice(0, -1), depth + 1)));
      else if (isSecretName(child)) names.push(child);
    }
    return names;
  }

  return {
    kind: 'vault',
    writable: options.readOnly !== true,

    async get(name) {
      assertSecretName(name);
      const [answer, metadata] = await Promise.all([
        callVault(context, { method: 'GET', url: url('data', name) }, 'read', name),
        readMetadata(name),
      ]);
      if (!answer.found || !metadata) return undefined;
      const { data } = parse(readSchema, answer.body, name);
      if (data.data === null || isGone(data.metadata)) return undefined;
      const secret: Secret = {
        value: decodeValue(data.data, name),
        metadata: {
          ...metadata,
          version: String(data.metadata.version),
          updatedAt: new Date(data.metadata.created_time),
        },
      };
      return secret;
    },

    async metadata(name) {
      assertSecretName(name);
      return readMetadata(name);
    },

    async list() {
      const listed: SecretMetadata[] = [];
      for (const name of (await listFolder('', 0)).sort()) {
        const metadata = await readMetadata(name);
        if (metadata) listed.push(metadata);
      }
      return listed;
    },

    async put(name, value) {
      assertSecretName(name);
      if (options.readOnly === true) throw readOnlyError('vault');
      const body = { data: encodeValue(secretBytes(value)) };
      const answer = await callVault(
        context,
        { method: 'POST', url: url('data', name), body },
        'write',
        name,
      );
      if (!answer.found) {
        throw new GatehouseError('ERR_SECRET_INVALID', `vault has no KV v2 engine at "${mount}"`);
      }
      const { data } = parse(writeSchema, answer.body, name);
      const metadata = await readMetadata(name);
      return {
        name,
        version: String(data.version),
        createdAt: metadata?.createdAt ?? new Date(data.created_time),
        updatedAt: new Date(data.created_time),
      };
    },
  };
}

function parseAddress(address: string, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalidOption('address');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalidOption('address');
  }
  const secure = url.protocol === 'https:';
  const loopback = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (!secure && !loopback && !(url.protocol === 'http:' && allowInsecureHttp)) {
    throw new GatehouseError(
      'ERR_CONFIG_UNSAFE',
      'the vault address must be https (plain http only on loopback or with allowInsecureHttp)',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function isGone(
  version: { deletion_time?: string | undefined; destroyed?: boolean | undefined } | undefined,
) {
  return (
    version === undefined || version.destroyed === true || (version.deletion_time ?? '') !== ''
  );
}

function encodeValue(bytes: Uint8Array): Record<string, string> {
  try {
    return { value: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { value_base64: Buffer.from(bytes).toString('base64') };
  }
}

function decodeValue(data: Record<string, unknown>, name: string): Uint8Array {
  if (typeof data.value === 'string') return new TextEncoder().encode(data.value);
  if (typeof data.value_base64 === 'string' && z.base64().safeParse(data.value_base64).success) {
    return new Uint8Array(Buffer.from(data.value_base64, 'base64'));
  }
  throw new GatehouseError('ERR_SECRET_INVALID', `secret "${name}" in vault has no "value" field`);
}

function parse<T>(schema: z.ZodType<T>, body: unknown, name: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new GatehouseError('ERR_SECRET_INVALID', `vault's answer for "${name}" is not KV v2`);
  }
  return result.data;
}

function invalidOption(option: string): GatehouseError {
  return new GatehouseError('ERR_CONFIG_INVALID', `the vault provider's ${option} is not valid`);
}
