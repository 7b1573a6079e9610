/**
 * An in-process stand-in for a Vault (or OpenBao) server with one KV version 2 engine, for the
 * provider's tests: no Vault binary can run here. It serves only what the provider uses, as the
 * KV v2 API documentation describes it: read and write of `<mount>/data/<path>` with versions,
 * read of `<mount>/metadata/<path>`, and listing with `LIST` or `GET ?list=true`. Every request
 * needs the token in `X-Vault-Token` (and the namespace in `X-Vault-Namespace` when one is set),
 * or gets Vault's 403 `{"errors":["permission denied"]}`; a missing secret is a 404 with
 * `{"errors":[]}`, a path no engine serves a 404 naming the route.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredVersion {
  readonly data: Record<string, unknown>;
  readonly createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface StoredEntry {
  readonly createdTime: string;
  updatedTime: string;
  currentVersion: number;
  readonly versions: Map<number, StoredVersion>;
}

/** One request as the server saw it, for assertions on headers and paths. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly token: string | undefined;
  readonly namespace: string | undefined;
}

export interface VaultTestServerOptions {
  readonly token: string;
  /** @default 'secret' */
  readonly mount?: string;
  /** When set, requests must carry it in `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** Milliseconds since the epoch, for `created_time` and `updated_time`. @default Date.now */
  readonly clock?: () => number;
}

export interface VaultTestServer {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  readonly requests: RecordedRequest[];
  /** Answer every request after this many milliseconds. */
  delayMs: number;
  /** Answer every request with this status and `{"errors":["..."]}` while set. */
  failWith: number | undefined;
  /** Writes a version with arbitrary fields, as `vault kv put` would. */
  write(path: string, data: Record<string, unknown>): void;
  /** Soft-deletes the current version, as `vault kv delete` does. */
  deleteCurrent(path: string): void;
  /** Stops listening, so later requests are refused; closing again does nothing. */
  close(): Promise<void>;
}

/** Starts the server on `127.0.0.1` and an ephemeral port. */
export async function startVaultTestServer(
  options: VaultTestServerOptions,
): Promise<VaultTestServer> {
  const mount = options.mount ?? 'secret';
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, StoredEntry>();
  const requests: RecordedRequest[] = [];
  // Settings a test changes while the server runs.
  const state = { delayMs: 0, failWith: undefined as number | undefined };
  // Vault prints RFC 3339 times with nanoseconds.
  const now = () => new Date(clock()).toISOString().replace('Z', '000000Z');

  function write(path: string, data: Record<string, unknown>): number {
    const time = now();
    const entry = entries.get(path) ?? {
      createdTime: time,
      updatedTime: time,
      currentVersion: 0,
      versions: new Map<number, StoredVersion>(),
    };
    entry.currentVersion += 1;
    entry.updatedTime = time;
    entry.versions.set(entry.currentVersion, {
      data,
      createdTime: time,
      deletionTime: '',
      destroyed: false,
    });
    entries.set(path, entry);
    return entry.currentVersion;
  }

  function versionMetadata(version: StoredVersion) {
    return {
      created_time: version.createdTime,
      custom_metadata: null,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
    };
  }

  function list(folder: string): string[] {
    const prefix = folder === '' ? '' : `${folder}/`;
    const keys = new Set<string>();
    for (const path of entries.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    return [...keys].sort();
  }

  async function handle(request: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(request.url ?? '/', 'http://vault.test');
    if (!url.pathname.startsWith('/v1/')) return [404, { errors: [] }];
    if (request.headers['x-vault-token'] !== options.token) {
      return [403, { errors: ['permission denied'] }];
    }
    if (
      options.namespace !== undefined &&
      request.headers['x-vault-namespace'] !== options.namespace
    ) {
      return [403, { errors: ['permission denied'] }];
    }

    const route = url.pathname.slice('/v1/'.length);
    if (!route.startsWith(`${mount}/`)) {
      return [404, { errors: [`no handler for route "${route}". route entry not found.`] }];
    }
    const rest = route.slice(mount.length + 1);
    const area = rest.startsWith('data/') ? 'data' : rest.startsWith('metadata/') ? 'metadata' : '';
    if (area === '') return [404, { errors: ['1 error occurred:\n\t* unsupported path\n\n'] }];
    const path = rest.slice(area.length + 1).replace(/\/$/, '');
    const isList =
      request.method === 'LIST' ||
      (request.method === 'GET' && url.searchParams.get('list') === 'true');

    if (area === 'metadata' && isList) {
      const keys = list(path);
      return keys.length === 0 ? [404, { errors: [] }] : [200, envelope({ keys })];
    }
    if (area === 'metadata' && request.method === 'GET') {
      const entry = entries.get(path);
      if (!entry) return [404, { errors: [] }];
      return [200, envelope(metadataOf(entry))];
    }
    if (area === 'data' && request.method === 'GET') {
      const entry = entries.get(path);
      const version = Number(url.searchParams.get('version') ?? '0') || entry?.currentVersion;
      const stored = version === undefined ? undefined : entry?.versions.get(version);
      if (!stored) return [404, { errors: [] }];
      const gone = stored.destroyed || stored.deletionTime !== '';
      const metadata = { ...versionMetadata(stored), version };
      return [gone ? 404 : 200, envelope({ data: gone ? null : stored.data, metadata })];
    }
    if (area === 'data' && (request.method === 'POST' || request.method === 'PUT')) {
      return writeRequest(path, await readBody(request));
    }
    return [405, { errors: [] }];
  }

  function metadataOf(entry: StoredEntry) {
    const versions = Object.fromEntries(
      [...entry.versions].map(([n, version]) => [String(n), versionMetadata(version)]),
    );
    return {
      cas_required: false,
      created_time: entry.createdTime,
      current_version: entry.currentVersion,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: entry.updatedTime,
      versions,
    };
  }

  function writeRequest(path: string, text: string): [number, unknown] {
    let body: { data?: unknown; options?: { cas?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return [400, { errors: ['failed to parse JSON input'] }];
    }
    if (typeof body.data !== 'object' || body.data === null || Array.isArray(body.data)) {
      return [400, { errors: ['no data provided'] }];
    }
    const cas = body.options?.cas;
    if (typeof cas === 'number' && cas !== (entries.get(path)?.currentVersion ?? 0)) {
      return [400, { errors: ['check-and-set parameter did not match the current version'] }];
    }
    const version = write(path, body.data as Record<string, unknown>);
    const stored = entries.get(path)?.versions.get(version);
    return [200, envelope({ ...(stored && versionMetadata(stored)), version })];
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      token: header(request, 'x-vault-token'),
      namespace: header(request, 'x-vault-namespace'),
    });
    const answer = async (): Promise<[number, unknown]> => {
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.failWith !== undefined) return [state.failWith, { errors: ['test failure'] }];
      return handle(request);
    };
    answer().then(
      ([status, body]) => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      },
      () => {
        response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ errors: ['internal error'] }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value) {
      state.delayMs = value;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(value) {
      state.failWith = value;
    },
    write: (path, data) => void write(path, data),
    deleteCurrent(path) {
      const entry = entries.get(path);
      const current = entry?.versions.get(entry.currentVersion);
      if (current) current.deletionTime = now();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function envelope(data: unknown) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'kv',
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
