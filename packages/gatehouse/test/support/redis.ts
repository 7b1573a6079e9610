import { randomBytes } from 'node:crypto';

import { createClient } from 'redis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function open() {
  return createClient({ url });
}

export type TestRedisClient = ReturnType<typeof open>;

/**
 * Redis connections for one test file, under a key prefix of its own: `connect()` opens one
 * more, `cleanup()` deletes every key under the prefix and closes them all.
 */
export function testRedis(namespace: string) {
  const prefix = `${namespace}:test:${randomBytes(6).toString('hex')}:`;
  const clients: TestRedisClient[] = [];

  async function connect(): Promise<TestRedisClient> {
    const client = open();
    clients.push(client);
    await client.connect();
    return client;
  }

  async function cleanup(): Promise<void> {
    const admin = clients[0] ?? (await connect());
    const left: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      left.push(...batch);
    }
    if (left.length > 0) await admin.del(left);
    clients.forEach((client) => client.destroy());
  }

  return { prefix, connect, cleanup };
}
