// `npm start`: builds what is out of date, then runs the reference API's production server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const library = join(root, 'packages/gatehouse');
const app = join(root, 'apps/api');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

/** Newest modification time of the files under `paths`, skipping build output. */
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
      if (entry !== 'node_modules' && entry !== '.next' && entry !== 'test')
        visit(join(path, entry));
    }
  };
  paths.forEach(visit);
  return latest;
}

function run(args, cwd) {
  const result = spawnSync('npm', args, { cwd, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const libraryBuilt = join(library, 'dist/index.js');
if (!existsSync(libraryBuilt) || newest([join(library, 'src')]) > statSync(libraryBuilt).mtimeMs) {
  run(['run', 'build', '-w', 'gatehouse'], root);
}

const appBuilt = join(app, '.next/BUILD_ID');
const appSources = ['app', 'lib', 'instrumentation.ts', 'next.config.ts', 'package.json'];
const appInputs = [...appSources.map((path) => join(app, path)), join(library, 'dist')];
if (!existsSync(appBuilt) || newest(appInputs) > statSync(appBuilt).mtimeMs) {
  run(['run', 'build', '-w', '@gatehouse/api'], root);
}

const server = spawn(process.execPath, [join(app, 'server.js')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
