import { describe, expect, it } from 'vitest';

import { main, type CliIo } from './main.js';

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const streams: CliIo = { env, out: (text) => out.push(text), err: (text) => err.push(text) };
  return { streams, out, err };
}

describe('gatehouse CLI', () => {
  it('prints usage for help and exits 0', async () => {
    const { streams, out } = io();
    expect(await main(['help'], streams)).toBe(0);
    expect(out.join('')).toMatch(/Usage: gatehouse <command>/);
  });

  it('exits 2 for an unknown command', async () => {
    const { streams, err } = io();
    expect(await main(['launch'], streams)).toBe(2);
    expect(err.join('')).toMatch(/unknown command "launch"/);
  });

  it('prints the configuration as JSON with secrets redacted', async () => {
    const { streams, out } = io({ DATABASE_URL: 'postgres://app:s3cret@db/app', PORT: '4000' });
    expect(await main(['config', '--json'], streams)).toBe(0);

    const printed = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(printed.port).toBe(4000);
    expect(out.join('')).not.toContain('s3cret');
  });

  it('exits 2 and names the variable when the configuration is invalid', async () => {
    const { streams, err } = io({ PORT: '-1' });
    expect(await main(['config'], streams)).toBe(2);
    expect(err.join('')).toMatch(/PORT/);
  });
});
