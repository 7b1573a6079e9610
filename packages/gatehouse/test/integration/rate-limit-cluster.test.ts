import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisRateLimitStore, type LimitCheck } from '../../src/rate-limit/index.js';
import { hashSlot } from '../../src/rate-limit/redis-scripts.js';

/**
 * A real three-node Redis Cluster (no replicas), started for this file from the same
 * `redis-server` binary the other tests use, on ports nothing else holds.
 */
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
const nodes: ChildProcess[] = [];
const ports: number[] = [];
let cluster: ReturnType<typeof createCluster>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

beforeAll(async () => {
  // Cluster nodes also listen on port + 10000 for their bus; pick ports whose bus port is free too.
  while (ports.length < 3) {
    const port = await freePort();
    if (port < 50_000) ports.push(port);
  }
  for (const port of ports) {
    nodes.push(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      ),
    );
  }
  for (const port of ports) {
    for (let tries = 0; tries < 50; tries += 1) {
      if (
        spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() ===
        'PONG'
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const created = spawnSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(created.status).toBe(0);
  for (let tries = 0; tries < 100; tries += 1) {
    const info = spawnSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], {
      encoding: 'utf8',
    });
    if (info.stdout.includes('cluster_state:ok')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  cluster = createCluster({
    rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
  });
  await cluster.connect();
}, 60_000);

afterAll(async () => {
  await cluster?.close().catch(() => undefined);
  for (const node of nodes) node.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let next = 0;
const check = (
  policy: string,
  key: string,
  limit: number,
  algorithm: LimitCheck['algorithm'] = 'sliding-window',
): LimitCheck => ({
  policy,
  key,
  limit,
  windowSeconds: 3600,
  cost: 1,
  algorithm,
});

describe('the Redis rate-limit store on a Redis Cluster', () => {
  it('decides checks whose keys fall on different nodes, each script within one slot', async () => {
    const store = createRedisRateLimitStore(cluster, { cluster: true });
    // Client keys spread over the slot space, so the checks land on several nodes.
    const keys = Array.from({ length: 6 }, () => `ip4:198.51.100.${(next += 1)}`);
    expect(new Set(keys.map((k) => hashSlot(`{${k}}`))).size).toBeGreaterThan(1);

    const checks = keys.map((key, i) =>
      check(`p${i}`, key, 2, i % 2 === 0 ? 'sliding-window' : 'sliding-log'),
    );
    const decisions = [];
    for (let i = 0; i < 3; i += 1) decisions.push(await store.check(checks));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(decisions[1]?.states.map((s) => s.remaining)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('admits exactly the limit of many concurrent requests through the cluster', async () => {
    const store = createRedisRateLimitStore(cluster, { cluster: true });
    const limit = check('ip', `ip4:203.0.113.${(next += 1)}`, 25);
    const decisions = await Promise.all(Array.from({ length: 120 }, () => store.check([limit])));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
  });

  it('loads its script again on every node after SCRIPT FLUSH', async () => {
    const store = createRedisRateLimitStore(cluster, { cluster: true });
    for (const port of ports) spawnSync('redis-cli', ['-p', String(port), 'script', 'flush']);
    const decision = await store.check([check('ip', `ip4:192.0.2.${(next += 1)}`, 5)]);
    expect(decision.allowed).toBe(true);
  });
});
