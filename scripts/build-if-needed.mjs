// Builds the library and the reference API when their sources are newer than their builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const library = join(root, 'packages/gatehouse');
const app = join(root, 'apps/api');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const skipped = new Set(['node_modules', '.next', 'test', 'dist']);

/** Newest modification time of the files under `paths`, skipping build output and tests. */
function newest(paths) {
  let latest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      latest = Math.max(latest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(path)) {
      if (!skipped.has(entry)) visit(join(path, entry));
    }
  };
  paths.forEach(visit);
  return latest;
}

function outdated(output, inputs) {
  return !existsSync(output) || newest(inputs) > statSync(output).mtimeMs;
}

function run(workspace) {
  const result = spawnSync('npm', ['run', 'build', '-w', workspace], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (outdated(join(library, 'dist/index.js'), [join(library, 'src')])) run('gatehouse');

const appInputs = ['app', 'lib', 'instrumentation.ts', 'next.config.ts', 'package.json']
  .map((path) => join(app, path))
  .concat(join(library, 'dist'));
if (outdated(join(app, '.next/BUILD_ID'), appInputs)) run('@gatehouse/api');
