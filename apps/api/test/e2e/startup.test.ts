import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const server = fileURLToPath(new URL('../../server.js', import.meta.url));

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, [server], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      PORT: '39871',
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-start-')),
      ...env,
    },
  });
}

describe('starting the server', () => {
  it('refuses to start on invalid configuration, exit code 2, naming the variable', () => {
    const result = start({ GATEHOUSE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'http://api.test' });

    expect(result.status).toBe(2);
    expect(result.stdout).toContain('GATEHOUSE_PUBLIC_URL must use https in production');
  });

  it('refuses to start, exit code 2, on a CSP the builder refuses (an unquoted keyword)', () => {
    const result = start({ GATEHOUSE_CSP_POLICY: JSON.stringify({ 'default-src': ['self'] }) });

    expect(result.status).toBe(2);
    expect(result.stdout).toContain('ERR_CONFIG_INVALID');
    expect(result.stdout).toContain('default-src');
    expect(result.stdout).not.toContain('"msg":"listening"');
  });

  it('fails the start, exit code 1, when the app database cannot be reached', () => {
    const result = start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/unreachable' });

    expect(result.status).toBe(1);
    expect(result.stdout).toContain('the app failed to start');
    expect(result.stdout).not.toContain('"msg":"listening"');
  });
});
