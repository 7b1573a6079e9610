import { describe, expect, it } from 'vitest';

import { crc16, groupBySlot, hashSlot } from './redis-scripts.js';

describe('Redis Cluster hash slots', () => {
  it('computes CRC16-XMODEM as the cluster specification gives it', () => {
    // The specification's check value: CRC16 of "123456789" is 0x31C3.
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x31c3);
    expect(crc16(new Uint8Array())).toBe(0);
  });

  // Each slot was read from `CLUSTER KEYSLOT` on Redis 7.0.15.
  it.each([
    ['foo', 12182],
    ['bar', 5061],
    ['hello', 866],
    ['123456789', 12739],
    ['é漢字', 6792],
    ['{user1000}.following', 3443],
    ['foo{}{bar}', 8363],
    ['foo{{bar}}zap', 4015],
    ['foo{bar}{zap}', 5061],
    ['gh:rl:{ip4:203.0.113.9}:ip:window', 13330],
    ['{ip4:203.0.113.9}', 13330],
    ['{}x}', 10489],
  ])('puts %s in slot %i', (key, slot) => {
    expect(hashSlot(key)).toBe(slot);
  });

  it('groups checks by the slot of their client key, keeping their order', () => {
    const keys = ['user:42', 'ip4:203.0.113.9', 'user:42', 'ip4:198.51.100.7', 'ip4:203.0.113.9'];
    const groups = groupBySlot(keys.map((key, index) => ({ key, index })));

    expect([...groups.values()].map((group) => group.map(({ index }) => index))).toEqual([
      [0, 2],
      [1, 4],
      [3],
    ]);
    expect([...groups.keys()]).toEqual(
      ['{user:42}', '{ip4:203.0.113.9}', '{ip4:198.51.100.7}'].map(hashSlot),
    );
  });
});
