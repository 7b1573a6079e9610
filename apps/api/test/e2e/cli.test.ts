import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

describe('the gatehouse bin', () => {
  it('runs from the repository root with npx and checks the configuration', () => {
    const result = spawnSync('npx', ['gatehouse', 'config', '--json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PORT: '4321', DATABASE_URL: 'postgres://u:pw-secret@db/app' },
    });

    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({ port: 4321, publicUrl: 'http://localhost:4321' });
    expect(result.stdout).not.toContain('pw-secret');
  });

  it('exits 2 on a configuration that is not valid', () => {
    const result = spawnSync('npx', ['gatehouse', 'config'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GATEHOUSE_ENV: 'production' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('GATEHOUSE_PUBLIC_URL');
  });
});
