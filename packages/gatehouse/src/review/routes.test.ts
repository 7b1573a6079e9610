import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { declaresPipelineHandlers, routeDeclarationFindings } from './routes.js';

const DECLARED = `import { nextHandlers } from 'gatehouse/next';
const notes = defineRoutes('/api/notes', { GET: route({ access: 'user', handler }) });
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, notes);
`;
const CATCH_ALL = `export const { GET, HEAD, POST } = nextNotFoundHandlers(getGatehouse);\n`;
const BARE = `export async function GET() {\n  return Response.json({ ok: true });\n}\n`;

describe('declaresPipelineHandlers', () => {
  it('accepts handlers from nextHandlers and the catch-all from nextNotFoundHandlers', () => {
    expect(declaresPipelineHandlers(DECLARED)).toBe(true);
    expect(declaresPipelineHandlers(CATCH_ALL)).toBe(true);
  });

  it('refuses a bare handler, also beside pipeline handlers or with the call commented out', () => {
    expect(declaresPipelineHandlers(BARE)).toBe(false);
    expect(declaresPipelineHandlers(DECLARED.replace('GET, ', '') + BARE)).toBe(false);
    expect(declaresPipelineHandlers(`export const { POST } = handlers;\nexport { GET };\n`)).toBe(
      false,
    );
    expect(declaresPipelineHandlers(`// export const { GET } = nextHandlers(g, r);\n${BARE}`)).toBe(
      false,
    );
  });
});

describe('routeDeclarationFindings', () => {
  it('flags every route.ts outside the pipeline, high, by its path', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-review-routes-'));
    const app = join(root, 'apps', 'api', 'app');
    for (const [path, source] of [
      ['api/notes/route.ts', DECLARED],
      ['api/[...path]/route.ts', CATCH_ALL],
      ['api/debug/route.ts', BARE],
      ['api/debug/helpers.ts', BARE],
    ] as const) {
      mkdirSync(join(app, path, '..'), { recursive: true });
      writeFileSync(join(app, path), source);
    }

    const findings = await routeDeclarationFindings(app, root);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['route:undeclared:apps/api/app/api/debug/route.ts', 'high'],
    ]);
  });
});
