import { ClickHouseError, type ClickHouseShard } from './http-client.js';
import { chSql, identifier, join, raw, type SqlFragment } from './literal.js';

/**
 * About how many rows one INSERT … SELECT of a copy carries. Node's `fetch` gives up on an answer
 * after 300 s (undici's headers timeout) while the server goes on, so no statement may take that
 * long: 2.1 million rows took 15–17 s on a loaded 2-core machine, a chunk about 30 s
 * (docs/clickhouse.md).
 */
const CHUNK_ROWS = 4_000_000;
/** Rows per sampled key when the chunks' bounds are chosen: one index granule's worth. */
const SAMPLE_EVERY = 8192;
/** ClickHouse's UNKNOWN_TABLE. */
const UNKNOWN_TABLE = 60;

/** A player key of an event table: the sorting key's leading columns, which bound the chunks. */
interface PlayerKey {
  dashboard_id: string;
  environment: string;
  user_id: string;
}

const same = (a: PlayerKey, b: PlayerKey) =>
  a.dashboard_id === b.dashboard_id && a.environment === b.environment && a.user_id === b.user_id;

/** `(dashboard_id, environment, user_id)` after `key` (`>`), or up to it (`<=`), as the index reads it. */
function compared(op: '>' | '<=', key: PlayerKey): SqlFragment {
  const strict = raw(op === '>' ? '>' : '<');
  return chSql`(dashboard_id ${strict} ${key.dashboard_id} OR (dashboard_id = ${key.dashboard_id}
    AND (environment ${strict} ${key.environment} OR (environment = ${key.environment}
    AND user_id ${raw(op)} ${key.user_id}))))`;
}

/**
 * Copies the rows of `from` into `to` (the named columns) in statements of about `CHUNK_ROWS`
 * rows each: ranges of the player key `(dashboard_id, environment, user_id)`, which leads both
 * tables' sorting keys, so each range reads only its own granules. The bounds are every
 * `chunkRows`-th row's key, sampled one per granule. A player's rows stay in one chunk. Nothing
 * is copied when `from` is gone: a copy that ran before dropped it. Run again, the copy writes
 * the same rows again: the destination must be a replacing table whose key holds them once.
 */
export async function copyInChunks(
  shard: ClickHouseShard,
  from: string,
  to: string,
  columns: readonly string[],
  chunkRows = CHUNK_ROWS,
): Promise<void> {
  const names = join(columns.map(identifier));
  const copy = (where: SqlFragment) =>
    shard.command(
      chSql`INSERT INTO ${identifier(to)} (${names}) SELECT ${names} FROM ${identifier(from)} WHERE ${where}`,
    );
  try {
    const [stored] = await shard.select<{ n: number }>(
      chSql`SELECT sum(rows) AS n FROM system.parts
        WHERE database = ${shard.address.database} AND table = ${from} AND active`,
    );
    const rows = stored?.n ?? 0;
    if (rows === 0) return;
    const step = Math.max(1, Math.ceil(chunkRows / SAMPLE_EVERY));
    const bounds =
      rows <= chunkRows
        ? []
        : await shard.select<PlayerKey>(
            chSql`SELECT dashboard_id, environment, user_id FROM (
              SELECT dashboard_id, environment, user_id FROM ${identifier(from)}
              WHERE rowNumberInBlock() % ${SAMPLE_EVERY} = 0
              ORDER BY dashboard_id, environment, user_id)
            WHERE rowNumberInAllBlocks() % ${step} = ${step - 1}
            ORDER BY dashboard_id, environment, user_id`,
          );
    let after: PlayerKey | undefined;
    for (const bound of bounds) {
      // A player of many rows is sampled more than once: one chunk holds them all.
      if (after && same(after, bound)) continue;
      await copy(after ? chSql`${compared('>', after)} AND ${compared('<=', bound)}` : compared('<=', bound));
      after = bound;
    }
    await copy(after ? compared('>', after) : raw('1'));
  } catch (error) {
    // A process starting at the same time finished the copy and dropped the table.
    if (!(error instanceof ClickHouseError && error.code === UNKNOWN_TABLE)) throw error;
  }
}
