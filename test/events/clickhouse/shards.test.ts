import { describe, expect, it } from 'vitest';
import { parseShardUrl, shardOf } from '../../../src/events/clickhouse/shards.js';

describe('ClickHouse shards', () => {
  it('reads endpoint, database and credentials from a shard URL', () => {
    expect(parseShardUrl('https://tf:p%40ss@ch.internal:8443/events')).toEqual({
      endpoint: 'https://ch.internal:8443',
      database: 'events',
      user: 'tf',
      password: 'p@ss',
    });
    expect(parseShardUrl('http://127.0.0.1:8123')).toEqual({
      endpoint: 'http://127.0.0.1:8123',
      database: 'traitforge',
    });
  });

  it('places a player by a fixed hash: the same shard from every process and release', () => {
    // Pinned values: changing the function would move every stored player to another shard.
    expect(shardOf('d1', 'production', 'u1', 2)).toBe(1);
    expect([0, 1, 2].map((i) => shardOf('dash', 'production', `user-${i}`, 4))).toEqual([2, 1, 0]);
    expect(shardOf('dash', 'production', 'é😀', 7)).toBe(2);
    expect(shardOf('d', 'production', 'anyone', 1)).toBe(0);
  });

  it('spreads players evenly over the shards', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[shardOf('dash', 'production', `player-${i}`, 3)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(9_000);
  });
});
