import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createMemoryReplayStore } from '../signatures/replay.js';
import { createSignatureVerifier } from '../signatures/verify.js';
import { runCli } from './test/run.js';

const run = runCli;

/** The request a printed curl command sends: method, URL, headers and body. */
function requestOf(curl: string): Request {
  const words = [...curl.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replaceAll(`'\\''`, "'") : (m[2] as string),
  );
  const method = words[words.indexOf('-X') + 1] as string;
  const url = words[words.indexOf('-X') + 2] as string;
  const headers = new Headers();
  words.forEach((word, i) => {
    if (word !== '-H') return;
    const line = words[i + 1] as string;
    headers.append(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
  });
  const data = words.indexOf('--data-binary');
  return new Request(url, {
    method,
    headers,
    body: data === -1 ? null : (words[data + 1] ?? null),
  });
}

describe('gatehouse keys hmac and gatehouse sign', () => {
  it('creates a key, shows its secret once, lists it without the secret, and retires it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-hmac-'));
    const created = await run(['keys', 'hmac', 'create', 'billing-1'], dataDir);
    expect(created.code).toBe(0);
    const secret = /secret: (\S+)/.exec(created.out)?.[1] as string;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);

    const listed = await run(['keys', 'hmac', 'list'], dataDir);
    expect(listed.out).toMatch(/^billing-1 {2}active/);
    expect(listed.out).not.toContain(secret);

    const again = await run(['keys', 'hmac', 'create', 'billing-1'], dataDir);
    expect(again.code).toBe(1);
    expect(again.err).toBe('gatehouse: service key "billing-1" exists\n');
    const retired = await run(['keys', 'hmac', 'retire', 'billing-1'], dataDir);
    expect(retired.code).toBe(0);
    expect((await run(['keys', 'hmac', 'list'], dataDir)).out).toMatch(/^billing-1 {2}retired/);
  });

  it('prints a curl command whose request the verifier accepts once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-hmac-'));
    const created = await run(['keys', 'hmac', 'create', 'ops'], dataDir);
    const secret = Buffer.from(/secret: (\S+)/.exec(created.out)?.[1] as string, 'base64url');

    const signed = await run(
      [
        'sign',
        '--key',
        'ops',
        '--data',
        `{"reason":"it's fraud"}`,
        'https://api.test/api/internal/x',
      ],
      dataDir,
    );
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(/^curl -i -X POST 'https:\/\/api\.test\/api\/internal\/x'/);

    const verifier = createSignatureVerifier({
      keys: async (id) => (id === 'ops' ? [new Uint8Array(secret)] : []),
      replay: createMemoryReplayStore(),
    });
    const request = requestOf(signed.out);
    const body = new Uint8Array(await request.clone().arrayBuffer());
    expect(new TextDecoder().decode(body)).toBe(`{"reason":"it's fraud"}`);
    expect(await verifier.verify(request, { body })).toMatchObject({ ok: true, keyId: 'ops' });
    expect(await verifier.verify(request, { body })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses an unknown or retired key and bad usage', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-hmac-'));
    expect((await run(['sign', '--key', 'nope', 'https://api.test/x'], dataDir)).code).toBe(1);
    expect((await run(['sign', 'https://api.test/x'], dataDir)).code).toBe(2);
    expect((await run(['sign', '--key', 'a', 'not a url'], dataDir)).code).toBe(2);
    expect((await run(['keys', 'hmac', 'create'], dataDir)).code).toBe(2);
  });
});

describe('gatehouse audit setup-sql', () => {
  it('prints the setup SQL for a named insert-only writer role, and refuses a bad name', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-audit-'));
    const printed = await run(['audit', 'setup-sql', '--writer-role', 'audit_writer'], dataDir);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('audit_writer');
    expect(printed.out).toMatch(/BEFORE TRUNCATE/);
    expect((await run(['audit', 'setup-sql', '--writer-role', 'x; DROP'], dataDir)).code).toBe(1);
  });
});
