/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, or `bench:pipeline -- --profile NAME`):
 * the functions with the most self time and the most inclusive time, as shares of the busy
 * (non-idle) time, each with its file and line.
 *
 *   node bench/profile-summary.mjs bench/results/profiles/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parents.set(child, node.id);

/** Microseconds spent with each node on top of the stack. */
const selfTime = new Map();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const where = (url) =>
  url
    .replace(/^file:\/\/.*?\/node_modules\//, '')
    .replace(/^file:\/\/\/.*?\/(packages|bench)\//, '$1/');
const label = ({ callFrame: frame }) =>
  `${frame.functionName || '(anonymous)'} ${where(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;

const self = new Map();
const inclusive = new Map();
let busy = 0;
for (const [id, time] of selfTime) {
  const node = nodes.get(id);
  const name = label(node);
  self.set(name, (self.get(name) ?? 0) + time);
  if (node.callFrame.functionName === '(idle)') continue;
  busy += time;
  // Count each function once per sample, however often it recurses.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parents.get(cur)) {
    const frame = label(nodes.get(cur));
    if (seen.has(frame)) continue;
    seen.add(frame);
    inclusive.set(frame, (inclusive.get(frame) ?? 0) + time);
  }
}

function print(title, table) {
  console.log(`\n${title}`);
  const rows = [...table].filter(
    ([name]) => !name.startsWith('(idle)') && !name.startsWith('(root)'),
  );
  for (const [name, time] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * time) / busy).toFixed(1).padStart(6)} %  ${name}`);
  }
}

console.log(`busy ${(busy / 1000).toFixed(0)} ms (shares below are of this)`);
print('self time', self);
print('inclusive time', inclusive);
