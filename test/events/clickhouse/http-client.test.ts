import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError, ClickHouseShard } from '../../../src/events/clickhouse/http-client.js';
import { chSql } from '../../../src/events/clickhouse/literal.js';
import { CLICKHOUSE_URLS } from '../../support/clickhouse.js';

/**
 * A TCP proxy in front of a real shard that drops the next `drops` connections as soon as a
 * request arrives on them, without an answer: what a client meets on a keep-alive connection the
 * server closed as idle.
 */
function droppingProxy(target: URL) {
  let drops = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    if (drops > 0) {
      drops--;
      client.once('data', () => client.destroy());
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return {
    /** Closes the pooled connections too, so the next request opens a new one. */
    dropNext: async (n: number) => {
      drops = n;
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    listen: () =>
      new Promise<number>((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          resolve((server.address() as { port: number }).port);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.unref();
      }),
  };
}

describe.skipIf(CLICKHOUSE_URLS.length === 0)('ClickHouse shard client, connection dropped', () => {
  const proxy = droppingProxy(new URL(CLICKHOUSE_URLS[0] ?? 'http://127.0.0.1:1'));
  let shard: ClickHouseShard;
  beforeAll(async () => {
    shard = new ClickHouseShard({ endpoint: `http://127.0.0.1:${await proxy.listen()}`, database: 'system' });
  });
  afterAll(() => proxy.close());

  it('sends a read once more on a fresh connection', async () => {
    await proxy.dropNext(1);
    await expect(shard.select<{ n: number }>(chSql`SELECT 42 AS n`)).resolves.toEqual([{ n: 42 }]);
  });

  it('gives up when the second connection fails too', async () => {
    await proxy.dropNext(2);
    await expect(shard.select(chSql`SELECT 1`)).rejects.toThrow(ClickHouseError);
    await expect(shard.select<{ n: number }>(chSql`SELECT 1 AS n`)).resolves.toEqual([{ n: 1 }]);
  });

  it('never sends a write twice', async () => {
    await proxy.dropNext(1);
    // Sent again, each would reach the server: the statement succeed, the insert be refused by it.
    await expect(shard.command(chSql`SELECT 1`)).rejects.toThrow(/unreachable/);
    await proxy.dropNext(1);
    await expect(shard.insert('one', [{ dummy: 0 }])).rejects.toThrow(/unreachable/);
  });
});
