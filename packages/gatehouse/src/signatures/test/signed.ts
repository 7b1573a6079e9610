/**
 * Requests signed for the verifier tests: a frozen clock, two secrets under one key id, and a
 * way to sign a hand-made `Signature-Input` validly.
 * @module
 */
import { serializeDictionary, type BareItem, type InnerList } from 'structured-headers';

import { createSignatureBase } from '../base.js';
import { contentDigest } from '../digest.js';
import { hmacSign } from '../hmac.js';
import { createMemoryReplayStore } from '../replay.js';
import type { SigningKey } from '../sign.js';
import { createSignatureVerifier, type SignatureVerifierOptions } from '../verify.js';

export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
export const NOW_S = NOW / 1000;
export const OLD: SigningKey = { id: 'billing', secret: new Uint8Array(32).fill(1) };
export const NEW: SigningKey = { id: 'billing', secret: new Uint8Array(32).fill(2) };
export const URL_ = 'https://api.example/internal/usage?day=2025-06-01';
export const BODY = '{"units":3}';

export const post = (body: string = BODY, url = URL_) =>
  new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
export const bytes = async (request: Request) =>
  new Uint8Array(await request.clone().arrayBuffer());
export const at = (ms: number) => () => ms;

export function verifier(overrides: Partial<SignatureVerifierOptions> = {}) {
  return createSignatureVerifier({
    keys: (keyId) => (keyId === 'billing' ? [OLD.secret] : []),
    replay: createMemoryReplayStore({ now: at(NOW) }),
    now: at(NOW),
    ...overrides,
  });
}

/** Verifies `request` as a route would: with the bytes it received. */
export async function check(request: Request, options: Partial<SignatureVerifierOptions> = {}) {
  return verifier(options).verify(request, { body: await bytes(request) });
}

/** `request` with other method, URL, headers or body, but the signature fields it carried. */
export function altered(
  signed: Request,
  change: { method?: string; url?: string; body?: string | null; headers?: Record<string, string> },
) {
  const headers = new Headers(signed.headers);
  for (const [name, value] of Object.entries(change.headers ?? {})) headers.set(name, value);
  const method = change.method ?? signed.method;
  return new Request(change.url ?? signed.url, {
    method,
    headers,
    body: change.body === undefined ? BODY : change.body,
  });
}

/**
 * Signs `request` with a hand-made Signature-Input, validly: whatever is refused is refused for
 * its parameters or components, not for a broken HMAC.
 */
export async function signWith(
  request: Request,
  components: string[],
  params: Record<string, BareItem>,
  secret = OLD.secret,
  label = 'sig1',
) {
  const headers = new Headers(request.headers);
  const body = request.body === null ? null : await bytes(request);
  if (body !== null && body.length > 0) headers.set('content-digest', await contentDigest(body));
  const withDigest = new Request(request, { headers, body });
  const input: InnerList = [
    components.map((name) => [name, new Map()]),
    new Map(Object.entries(params)),
  ];
  const base = createSignatureBase(withDigest, input);
  if (!base.ok) throw new Error(`test setup: ${base.problem}`);
  withDigest.headers.set('signature-input', serializeDictionary(new Map([[label, input]])));
  const signature = await hmacSign(secret, base.base);
  withDigest.headers.set(
    'signature',
    serializeDictionary(new Map([[label, [signature, new Map()]]])),
  );
  return withDigest;
}

export const ALL = ['@method', '@target-uri', 'content-type', 'content-digest'];
export const PARAMS = {
  created: NOW_S,
  expires: NOW_S + 60,
  nonce: 'n-0123456789abcdef',
  keyid: 'billing',
  alg: 'hmac-sha256',
};
