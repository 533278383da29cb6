/**
 * The scan bench's phase (scan.ts), in its own process so its peak RSS is the reader's alone:
 * loads `players` players and `events` events into the phase's fresh database in bulk, on the
 * database server itself (PostgreSQL: `INSERT … SELECT … FROM generate_series`, into the tables
 * and indexes production has; ClickHouse: `INSERT … SELECT … FROM numbers()` on each shard, each
 * player on the shard `shardOf` gives it), then times `EventStore.playerAggregates` for the
 * scope: the read the persona recompute makes for behavioural features.
 */
import { loadavg } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { chSql, identifier, inList, raw, type SqlFragment } from '../src/events/clickhouse/literal.js';
import { openShards, shardOf } from '../src/events/clickhouse/shards.js';
import type { ClickHouseShard } from '../src/events/clickhouse/http-client.js';
import { eventTableOf } from '../src/events/clickhouse/schema.js';
import type { AnyRecordType } from '../src/domain/records.js';
import { benchEventStore, prepareDashboard, type BenchDatabase } from './support/database.js';
import { cpuSince, phaseMain, sendToParent, type FailedMessage } from './support/process.js';
import { RssSampler, ServerSampler } from './support/stats.js';

export interface ScanSpec {
  phase: 'scan';
  database: BenchDatabase;
  players: number;
  events: number;
}

export interface ScanDone {
  type: 'done';
  players: number;
  events: number;
  load_s: number;
  read_ms: number;
  read_cpu_ms: number;
  node_peak_rss_mb: number;
  server_start_mb: number;
  server_peak_mb: number;
  /** The database server processes' CPU time during the read. */
  server_cpu_ms: number;
  bytes_on_disk: number;
  /** ClickHouse: the active parts of the event tables when the read ran (merges still pending). */
  parts?: number;
  loadavg_start: number[];
  loadavg_end: number[];
}

export type ScanMessage = ScanDone | FailedMessage;

/** A dialect's text conversion: `(x)::text` on PostgreSQL, `toString(x)` on ClickHouse. */
type Text = (expression: string) => string;
const pick = (values: readonly string[], index: string) =>
  `CASE ${index} ${values.map((v, i) => `WHEN ${i} THEN '${v}'`).join(' ')} END`;

/**
 * The generated tables, their share of the events and each typed column as an expression of
 * `g` (the row's number) in the SQL both servers read. The shares follow the bench workload: mostly
 * actions, then logins and level-ups, few purchases.
 */
const TABLES: readonly {
  type: AnyRecordType;
  share: number;
  columns: Record<string, (text: Text) => string>;
}[] = [
  {
    type: 'actions',
    share: 0.6,
    columns: {
      action_id: (text) => text('1001 + g % 10'),
      action_name: () =>
        pick(
          ['start_level', 'finish_level', 'buy_item', 'open_chest', 'send_gift', 'join_clan', 'watch_ad'],
          'g % 7',
        ),
      action_params: (text) => `concat('[{"key":"level","value":"', ${text('g % 100000')}, '"}]')`,
    },
  },
  {
    type: 'logins',
    share: 0.15,
    columns: {
      level: () => '1 + g % 60',
      device: () => pick(['android', 'ios', 'web'], 'g % 3'),
      country: () => pick(['DE', 'US', 'BR', 'JP', 'FR'], 'g % 5'),
      platform: () => pick(['android', 'ios'], 'g % 2'),
      language: () => pick(['en', 'de', 'pt'], 'g % 3'),
    },
  },
  { type: 'level_ups', share: 0.1, columns: { level: () => '1 + g % 100' } },
  {
    type: 'virtual_purchases',
    share: 0.07,
    columns: {
      item_id: (text) => `concat('item-', ${text('g % 500')})`,
      count: () => '1',
      virtual_price: () => '10 + g % 990',
      currency: () => pick(['gems', 'gold'], 'g % 2'),
    },
  },
  {
    type: 'social_dynamics',
    share: 0.05,
    columns: {
      target_user_id: (text) => `concat('player-', ${text('g % 100003')})`,
      interaction: () => pick(['gift', 'chat', 'invite'], 'g % 3'),
    },
  },
  {
    type: 'purchases',
    share: 0.03,
    columns: {
      item_id: (text) => `concat('item-', ${text('g % 500')})`,
      count: () => '1',
      price: () => '0.99 + g % 20',
      platform: () => pick(['android', 'ios'], 'g % 2'),
    },
  },
];

/** Rows per INSERT … SELECT: progress every few seconds, no statement near a timeout. */
const CHUNK = 5_000_000;
/** Events span the 90 days before the bench started. */
const SPAN_MS = 90 * 86_400_000;
/** A player of `count` for row `g`: a multiplicative hash, so a player's rows are spread out. */
const playerOf = (count: number) => `(g * 2654435761) % 4294967296 % ${count}`;

/** Each table's row count: its share, the last table taking the rounding. */
function tableRows(events: number): number[] {
  const rows = TABLES.map((t) => Math.floor(events * t.share));
  rows[0]! += events - rows.reduce((a, b) => a + b, 0);
  return rows;
}

async function chunked(rows: number, log: string, insert: (from: number, count: number) => Promise<void>) {
  for (let from = 0; from < rows; from += CHUNK) {
    await insert(from, Math.min(CHUNK, rows - from));
    process.stderr.write(`  ${log}: ${Math.min(rows, from + CHUNK).toLocaleString('en-US')} rows\n`);
  }
}

async function loadPostgres(db: Kysely<unknown>, dashboardId: string, spec: ScanSpec, t0: number) {
  const text: Text = (e) => `(${e})::text`;
  await sql`insert into players (dashboard_id, environment, user_id, first_seen_at, level)
    select ${dashboardId}, 'production', 'player-' || g, ${t0} - g % 90 * 86400000, 1 + g % 60
    from generate_series(0, ${spec.players - 1}::bigint) g`.execute(db);
  const { rows } = await sql<{ min: string }>`select min(id) as min from players`.execute(db);
  const firstId = Number(rows[0]!.min);
  const counts = tableRows(spec.events);
  for (const [i, table] of TABLES.entries()) {
    const names = Object.keys(table.columns);
    const values = Object.values(table.columns).map((column) => column(text));
    await chunked(counts[i]!, table.type, (from, count) =>
      sql`insert into ${sql.table(table.type)} (dashboard_id, environment, player_id, ts, received_at, ${sql.raw(names.join(', '))})
        select ${dashboardId}, 'production', ${firstId} + ${sql.raw(playerOf(spec.players))},
          ${t0} - g * 7919 % ${SPAN_MS}, ${t0} - g * 7919 % ${SPAN_MS} + g % 60000, ${sql.raw(values.join(', '))}
        from generate_series(${from}::bigint, ${from + count - 1}::bigint) g`
        .execute(db)
        .then(() => undefined),
    );
    // As autovacuum would before long: visibility and statistics for the planner.
    await sql`vacuum analyze ${sql.table(table.type)}`.execute(db);
  }
  const size = await sql<{ bytes: string }>`select sum(pg_total_relation_size(c.oid))::text as bytes
    from pg_class c where c.relname in (${sql.join(TABLES.map((t) => t.type))}) and c.relkind = 'r'`.execute(
    db,
  );
  return { bytes: Number(size.rows[0]!.bytes) };
}

async function loadClickHouse(
  shards: readonly ClickHouseShard[],
  dashboardId: string,
  spec: ScanSpec,
  t0: number,
) {
  const text: Text = (e) => `toString(${e})`;
  // Each player on its shard; numbered per shard, so a shard's events join its own players.
  const perShard: { n: number; user_id: string }[][] = shards.map(() => []);
  for (let n = 0; n < spec.players; n++) {
    const userId = `player-${n}`;
    const own = perShard[shardOf(dashboardId, 'production', userId, shards.length)]!;
    own.push({ n: own.length, user_id: userId });
  }
  await Promise.all(
    shards.map(async (shard, k) => {
      await shard.command(chSql`CREATE TABLE bench_players (n UInt64, user_id String) ENGINE = Memory`);
      for (let i = 0; i < perShard[k]!.length; i += 100_000)
        await shard.insert('bench_players', perShard[k]!.slice(i, i + 100_000));
      await shard.command(chSql`INSERT INTO players (dashboard_id, environment, user_id, first_seen_at, seen_rank)
        SELECT ${dashboardId}, 'production', user_id, ${t0} - n % 90 * 86400000, ${Number.MAX_SAFE_INTEGER - t0} FROM bench_players`);
    }),
  );
  const counts = tableRows(spec.events);
  for (const [i, table] of TABLES.entries()) {
    const names = Object.keys(table.columns).map((c) => identifier(c).text);
    const values = Object.values(table.columns).map((column) => column(text));
    // The table's rows split over the shards as their players are; `g` runs on across shards, so ids differ.
    let offset = 0;
    const ranges = perShard.map((players) => {
      const rows = Math.round((counts[i]! * players.length) / spec.players);
      const range = { offset, rows, players: players.length };
      offset += rows;
      return range;
    });
    await Promise.all(
      shards.map((shard, k) => {
        const { offset: first, rows, players } = ranges[k]!;
        return chunked(rows, `${table.type} (shard ${k + 1})`, async (from, count) => {
          const insert: SqlFragment = chSql`INSERT INTO ${identifier(eventTableOf(table.type))}
            (id, dashboard_id, environment, user_id, ts, received_at, ${raw(names.join(', '))})
            SELECT lower(hex(MD5(concat(${table.type}, toString(g))))), ${dashboardId}, 'production', user_id,
              ${t0} - g * 7919 % ${SPAN_MS}, ${t0} - g * 7919 % ${SPAN_MS} + g % 60000, ${raw(values.join(', '))}
            FROM (SELECT number AS g, toUInt64(${raw(playerOf(players))}) AS n FROM numbers(${first + from}, ${count}))
            ANY INNER JOIN bench_players USING n`;
          await shard.command(insert);
        });
      }),
    );
  }
  await Promise.all(shards.map((shard) => shard.command(chSql`DROP TABLE bench_players`)));
  return {
    bytes: await eventTablesOnDisk(shards, 'bytes_on_disk'),
    parts: await eventTablesOnDisk(shards, 'parts'),
  };
}

/** Sums over the shards' active parts of the event tables: their bytes on disk, or their count. */
async function eventTablesOnDisk(shards: readonly ClickHouseShard[], what: 'bytes_on_disk' | 'parts') {
  const tables = TABLES.map((t) => eventTableOf(t.type));
  const figure = raw(what === 'parts' ? 'count()' : 'sum(bytes_on_disk)');
  const answers = await Promise.all(
    shards.map((shard) =>
      shard.select<{ v: number }>(
        chSql`SELECT ${figure} AS v FROM system.parts WHERE database = currentDatabase() AND active AND table IN ${inList(tables)}`,
      ),
    ),
  );
  return answers.reduce((sum, [row]) => sum + (row?.v ?? 0), 0);
}

phaseMain<ScanSpec>({
  scan: async (spec) => {
    const { store, dashboardId } = await prepareDashboard(spec.database);
    const t0 = Date.now();
    const loadStart = performance.now();
    // Loading and reading a table of 100M rows take minutes: no request timeout in the way.
    const hour = 3_600_000;
    const loaded = spec.database.clickhouse
      ? await loadClickHouse(openShards(spec.database.clickhouse, hour), dashboardId, spec, t0)
      : { ...(await loadPostgres(store.db as never, dashboardId, spec, t0)), parts: undefined };
    const loadS = (performance.now() - loadStart) / 1000;
    const events = benchEventStore(store, spec.database, hour);
    const server = spec.database.clickhouse
      ? new ServerSampler('clickhouse-serv')
      : new ServerSampler('postgres', ` ${new URL(spec.database.location).pathname.slice(1)} `);
    const rss = new RssSampler(50);
    const loadavgStart = loadavg();
    const cpu = process.cpuUsage();
    const readStart = performance.now();
    const aggregates = await events.playerAggregates({ dashboardId, environment: 'production' });
    const readMs = performance.now() - readStart;
    const readCpuMs = cpuSince(cpu);
    const nodePeak = rss.stop();
    const serverFigures = server.stop();
    const actions = aggregates.reduce((sum, a) => sum + a.actions, 0);
    if (aggregates.length !== spec.players || actions !== tableRows(spec.events)[0])
      throw new Error(`read ${aggregates.length} players and ${actions} actions: not what was loaded`);
    await store.close();
    await sendToParent({
      type: 'done',
      players: aggregates.length,
      events: spec.events,
      load_s: loadS,
      read_ms: readMs,
      read_cpu_ms: readCpuMs,
      node_peak_rss_mb: nodePeak,
      server_start_mb: server.startMb,
      server_peak_mb: serverFigures.peakMb,
      server_cpu_ms: serverFigures.cpuMs,
      bytes_on_disk: loaded.bytes,
      ...(loaded.parts === undefined ? {} : { parts: loaded.parts }),
      loadavg_start: loadavgStart,
      loadavg_end: loadavg(),
    } satisfies ScanDone);
  },
});
