/**
 * Routes without a declaration: a Next.js `route.ts` whose handlers do not come from the
 * pipeline skips authentication, rate limits, validation and audit at once. The check is
 * textual: it reads each file, it does not compile or run it.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

import type { Finding } from './finding.js';

/** `export const { GET, … } = nextHandlers(` or the catch-all's `nextNotFoundHandlers(`. */
const PIPELINE_EXPORT = /export\s+const\s*\{[^}]*\}\s*=\s*next(?:NotFound)?Handlers\s*\(/;
/** A handler exported some other way, beside or instead of the pipeline's. */
const OTHER_EXPORT =
  /export\s+(?:async\s+)?(?:function\s*\*?\s*|const\s+|let\s+|var\s+)(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b|export\s*\{[^}]*\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b[^}]*\}/;
const MAX_DEPTH = 32;

/** Every `route.ts` under `dir`, sorted; `node_modules` is skipped. */
export async function findRouteFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'node_modules') {
        await walk(join(path, entry.name), depth + 1);
      } else if (entry.isFile() && entry.name === 'route.ts') {
        found.push(join(path, entry.name));
      }
    }
  };
  await walk(dir, 0);
  return found.sort();
}

/** Whether a route file's handlers all come from the pipeline, judged from its text. */
export function declaresPipelineHandlers(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return PIPELINE_EXPORT.test(code) && !OTHER_EXPORT.test(code);
}

/** A high finding for every `route.ts` under `dir` that does not export pipeline handlers. */
export async function routeDeclarationFindings(dir: string, base: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of await findRouteFiles(dir)) {
    if (declaresPipelineHandlers(await readFile(file, 'utf8'))) continue;
    const name = relative(base, file);
    findings.push({
      id: `route:undeclared:${name}`,
      severity: 'high',
      title: `${name} does not export handlers from nextHandlers()`,
      detail:
        'Its handlers bypass the pipeline: no declared access, rate limit, validation or audit.',
      fix: 'Declare the route with defineRoutes() and export nextHandlers(getGatehouse, routes).',
    });
  }
  return findings;
}
