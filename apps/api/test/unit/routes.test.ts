import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { isPipelineHandler } from 'gatehouse/next';
import { HTTP_METHODS } from 'gatehouse/pipeline';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('../../app', import.meta.url));

// Route segment settings Next.js reads from a route file; anything else exported is a handler.
const SEGMENT_CONFIG = new Set(['dynamic', 'dynamicParams', 'revalidate', 'fetchCache', 'runtime']);

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(path);
    return /^route\.(ts|tsx|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

const files = routeFiles(appDir);

describe('every route under app/ goes through the pipeline', () => {
  it('finds the route files', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files.map((file) => [relative(appDir, file), file]))(
    '%s exports only pipeline handlers, for every method',
    async (_name, file) => {
      const module = (await import(file)) as Record<string, unknown>;

      for (const [name, value] of Object.entries(module)) {
        if (SEGMENT_CONFIG.has(name)) continue;
        expect(isPipelineHandler(value), `export ${name} bypasses the pipeline`).toBe(true);
      }
      // Without all of them, Next.js answers undeclared methods itself, outside the pipeline.
      expect(Object.keys(module)).toEqual(expect.arrayContaining([...HTTP_METHODS]));
    },
  );
});

describe('the check itself', () => {
  it('rejects a handler written by hand', () => {
    const handWritten = async () => Response.json({ ok: true });
    expect(isPipelineHandler(handWritten)).toBe(false);
  });
});
