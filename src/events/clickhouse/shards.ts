import { ClickHouseShard, type ShardAddress } from './http-client.js';

/** The database events live in when a shard URL names none. */
export const DEFAULT_DATABASE = 'traitforge';

/**
 * Reads one shard URL: `http(s)://[user[:password]@]host:port[/database]`. Returns an error
 * message (never repeating the URL: it may hold a password) when it is not one.
 */
export function parseShardUrl(text: string): ShardAddress | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.search || url.hash) return 'must not carry a query string or fragment';
  const path = decodeURIComponent(url.pathname.replace(/^\/|\/$/g, ''));
  if (path !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(path))
    return 'names a database that is not a plain name (letters, digits, _)';
  return {
    endpoint: `${url.protocol}//${url.host}`,
    database: path || DEFAULT_DATABASE,
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** The shards of `TRAITFORGE_CLICKHOUSE_URL` (already checked by the config loader). */
export function openShards(urls: readonly string[], timeoutMs?: number): ClickHouseShard[] {
  return urls.map((text) => {
    const address = parseShardUrl(text);
    if (typeof address === 'string') throw new Error(`invalid ClickHouse shard URL: it ${address}`);
    return new ClickHouseShard(address, timeoutMs);
  });
}

/**
 * The shard of a player: FNV-1a (32-bit) over the UTF-8 bytes of dashboard, environment and
 * user id, modulo the shard count. Fixed forever: the same player must land on the same shard
 * from every process and every release, so the replacing engine sees a retried batch's rows
 * next to their first copy. Changing the shard count moves players (see docs/clickhouse.md).
 */
export function shardOf(dashboardId: string, environment: string, key: string, shards: number): number {
  if (shards <= 1) return 0;
  const bytes = Buffer.from(`${dashboardId}\u0000${environment}\u0000${key}`, 'utf8');
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % shards;
}
