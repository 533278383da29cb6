/**
 * Insights bench (issue 14): `runInsightsBench(options)` from the bench runner
 * (`npm run bench -- --only insights [--insight-players 1000000] [--insight-events 10000000]
 * [--insight-calls 20]`).
 *
 * On a fresh control plane (PostgreSQL) and, for `clickhouse`, a fresh database on every shard of
 * TRAITFORGE_TEST_CLICKHOUSE_URL: `players` players and `events` records over 90 days are loaded
 * in bulk, not through HTTP (PostgreSQL `generate_series`, ClickHouse `INSERT … SELECT … FROM
 * numbers()` through the event tables, so their `event_stamps` views fill as an ingest would):
 * 60% logins, 30% actions, 5% purchases, 5% level-ups; player p installs on day p mod 90, and a
 * third of the players are in persona 1, a third in persona 2. Then one refresh builds the
 * rollups (timed; then ANALYZE, as autovacuum would soon after), and every insights answer is called `calls` times through `app.inject` for
 * the last 30 and 366 days, persona all, 1 and none: median and p95 against the 500 ms target; so
 * is the dashboard's Insights page for the same ranges, one request as an operator opens it.
 * Last, the steady state: a thousandth of the events as new logins through the API and one
 * refresh (timed), then a persona run (as a recompute leaves) and the refresh that rebuilds the
 * default segment's aggregates (timed).
 * Only local servers are contacted.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import type { ClickHouseShard } from '../src/events/clickhouse/http-client.js';
import { chSql, identifier, raw } from '../src/events/clickhouse/literal.js';
import { migrateShards } from '../src/events/clickhouse/migrate.js';
import { openShards } from '../src/events/clickhouse/shards.js';
import { eventTableOf } from '../src/events/clickhouse/schema.js';
import { freshDatabase } from './personas.js';

export type InsightsBackend = 'postgres' | 'clickhouse';

export interface InsightsBenchOptions {
  players: number;
  events: number;
  backend: InsightsBackend;
  /** Calls per answer, range and persona. */
  calls: number;
  log?: (line: string) => void;
}

export interface InsightsAnswerFigures {
  answer: string;
  days: number;
  persona: string;
  calls: number;
  median_ms: number;
  p95_ms: number;
}

export interface InsightsBenchFigures {
  backend: InsightsBackend;
  players: number;
  events: number;
  load_s: number;
  refresh_s: number;
  /** Records added after the answers (a minute's worth), and the refresh that folded them. */
  new_records: number;
  step_refresh_s: number;
  /** The refresh after a persona recompute: the default segment's aggregates rebuilt. */
  rebuild_s: number;
  player_days: number;
  answers: InsightsAnswerFigures[];
  /** The dashboard's Insights page, one request (every chart and table rendered on the server). */
  pages: Omit<InsightsAnswerFigures, 'answer' | 'persona'>[];
}

const DAYS = 90;
const DAY_MS = 86_400_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const TARGET_MS = 500;
/** A case whose calls take this long in all stops early (its `calls` says how many ran). */
const CASE_BUDGET_MS = 60_000;
const ANSWERS = [
  'daily',
  'retention',
  'engagement',
  'monetization',
  'currencies',
  'kpis',
  'churn',
  'progression',
  'personas',
] as const;

/** Each type's share of the events, and what its rows carry (SQL expressions of `i`, the row number). */
const TYPES = [
  { type: 'logins', share: 0.6, columns: { level: '1 + i % 50' } },
  { type: 'actions', share: 0.3, columns: { action_id: "'1'", action_name: "'play'" } },
  { type: 'purchases', share: 0.05, columns: { item_id: "'gem'", count: '1', price: '0.99 + i % 5' } },
  { type: 'level_ups', share: 0.05, columns: { level: '1 + i % 50' } },
] as const;

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
}
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The generator both backends share, as SQL over the row number `i` (offset per type so types do
 * not line up): the player (a multiplicative hash over the players), their install day and the
 * event's day from install to day 89, its time within the day.
 */
function generator(players: number, offset: number, firstDay: number) {
  const player = `((i + ${offset}) * 7919) % ${players}`;
  const install = `(${player}) % ${DAYS}`;
  const day = `(${install}) + ((i * 31) % 97) % (${DAYS} - (${install}))`;
  const ts = `(${firstDay} + ${day}) * ${DAY_MS} + (i % 86400) * 1000`;
  return { player, ts };
}

async function loadPostgres(
  db: Kysely<unknown>,
  dashboardId: string,
  o: InsightsBenchOptions,
  firstDay: number,
) {
  await sql`insert into players (dashboard_id, environment, user_id, first_seen_at)
    select ${dashboardId}, 'production', 'p' || g, ${Date.now()} from generate_series(0, ${o.players - 1}) g`.execute(
    db,
  );
  const { rows } = await sql<{ base: string }>`select min(id) as base from players`.execute(db);
  const base = Number(rows[0]!.base);
  let offset = 0;
  for (const t of TYPES) {
    const n = Math.round(o.events * t.share);
    const g = generator(o.players, offset, firstDay);
    const names = Object.keys(t.columns).join(', ');
    const values = Object.values(t.columns).join(', ');
    await sql`insert into ${sql.table(t.type)} (dashboard_id, environment, player_id, ts, received_at, ${sql.raw(names)})
      select ${dashboardId}, 'production', ${sql.raw(`${base} + ${g.player}`)}, ${sql.raw(g.ts)}, ${sql.raw(g.ts)}, ${sql.raw(values)}
      from generate_series(0::bigint, ${n - 1}::bigint) i`.execute(db);
    offset += n;
  }
}

async function loadClickHouse(
  shards: readonly ClickHouseShard[],
  dashboardId: string,
  o: InsightsBenchOptions,
  firstDay: number,
) {
  // Players are placed by number (player mod shards), not by the writer's hash: every read asks
  // every shard, and all of a player's rows are on one shard, which is what the figures rely on.
  const stampBase = Date.now() - 3_600_000;
  const count = shards.length;
  await Promise.all(
    shards.map(async (shard, s) => {
      await shard.command(chSql`INSERT INTO players (dashboard_id, environment, user_id, first_seen_at, seen_rank)
        SELECT ${dashboardId}, 'production', concat('p', toString(number)),
        ${Date.now()}, 0 FROM numbers(${o.players}) WHERE number % ${count} = ${s}`);
      let offset = 0;
      for (const t of TYPES) {
        const n = Math.round(o.events * t.share);
        const g = generator(o.players, offset, firstDay);
        const names = raw(Object.keys(t.columns).join(', '));
        const values = raw(Object.values(t.columns).join(', '));
        // A thousand rows per millisecond of insert time: the refresh's steps split them.
        await shard.command(chSql`INSERT INTO ${identifier(eventTableOf(t.type))}
          (id, dashboard_id, environment, user_id, ts, received_at, inserted_at, ${names})
          SELECT concat(${t.type}, toString(i)), ${dashboardId}, 'production', concat('p', toString(player)),
            toInt64(${raw(g.ts)}) AS ts, ts, toInt64(${stampBase} + intDiv(i + ${offset}, 1000)), ${values}
          FROM (SELECT number AS i, ${raw(g.player)} AS player FROM numbers(${n})) WHERE player % ${count} = ${s}`);
        offset += n;
      }
    }),
  );
}

async function timedCalls(
  call: (url: string) => Promise<{ statusCode: number; body: string }>,
  url: string,
  calls: number,
): Promise<number[]> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < calls && performance.now() - start < CASE_BUDGET_MS; i++) {
    const t0 = performance.now();
    const res = await call(url);
    samples.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
  return samples;
}

export async function runInsightsBench(options: InsightsBenchOptions): Promise<InsightsBenchFigures> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const database = await freshDatabase('postgres');
  const clickhouse = options.backend === 'clickhouse' ? clickHouseDatabase() : undefined;
  try {
    await database.store.migrate();
    if (clickhouse) await migrateShards(clickhouse.shards);
    const config = parseConfig({
      adminToken: ADMIN_TOKEN,
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      logLevel: 'silent',
      workers: false,
      ...(clickhouse && { clickhouseUrls: clickhouse.urls, clickhouseInsightsLagMs: 0 }),
    });
    const app = await buildApp(config, database.store, { logger: false });
    await app.ready();
    const admin = (method: 'GET' | 'POST', url: string, body?: object) =>
      app.inject({
        method,
        url: `/admin/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body && { payload: body }),
      });
    const created = await admin('POST', '/dashboards', { name: 'insights bench' });
    const dashboard = created.json<{ id: string; keys: { production: string } }>();
    const db = database.store.db as unknown as Kysely<unknown>;
    const today = Math.floor(Date.now() / DAY_MS);
    const firstDay = today - DAYS;

    log(`insights bench: ${options.backend} loading ${options.players} players / ${options.events} events…`);
    const loadStart = performance.now();
    if (clickhouse) await loadClickHouse(clickhouse.shards, dashboard.id, options, firstDay);
    else await loadPostgres(db, dashboard.id, options, firstDay);
    await sql`insert into persona_members (dashboard_id, environment, segment_id, user_id, persona, source, probabilities)
      select ${dashboard.id}, 'production', 'default', 'p' || g, 1 + g % 3, 'surveyed', null
      from generate_series(0, ${options.players - 1}) g where g % 3 < 2`.execute(db);
    const loadS = (performance.now() - loadStart) / 1000;
    log(`insights bench: loaded in ${round(loadS)} s; refreshing…`);

    const refreshStart = performance.now();
    const refreshed = await admin(
      'POST',
      `/dashboards/${dashboard.id}/insights/refresh?environment=production`,
    );
    if (refreshed.statusCode !== 200) throw new Error(`refresh: ${refreshed.statusCode} ${refreshed.body}`);
    const refreshS = (performance.now() - refreshStart) / 1000;
    // Statistics of the freshly filled rollups, as autovacuum takes them within a minute: the
    // first answers would otherwise be planned for empty tables.
    await sql`analyze`.execute(db);
    const { rows } = await sql<{ n: string }>`select count(*) as n from insight_player_days`.execute(db);
    log(`insights bench: refresh ${round(refreshS)} s, ${rows[0]!.n} player-days`);

    const key = dashboard.keys.production;
    const call = (url: string) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    const answers: InsightsAnswerFigures[] = [];
    const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
    const lastDay = today - 1;
    for (const answer of ANSWERS) {
      for (const days of [30, 366]) {
        for (const persona of ['all', '1', 'none']) {
          const url = `/v1/insights/${answer}?from=${dayText(lastDay - days + 1)}&to=${dayText(lastDay)}&persona=${persona}`;
          const samples = await timedCalls(call, url, options.calls);
          const figures = {
            answer,
            days,
            persona,
            calls: samples.length,
            median_ms: round(percentile(samples, 50)),
            p95_ms: round(percentile(samples, 95)),
          };
          log(`insights bench: ${JSON.stringify(figures)}`);
          answers.push(figures);
        }
      }
    }
    // The Insights page as an operator opens it: one request renders every chart and table.
    const session = await operatorSession(app);
    const page = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: session } });
    const pages: InsightsBenchFigures['pages'] = [];
    for (const days of [30, 366]) {
      const url = `/dashboard/d/${dashboard.id}/insights?from=${dayText(lastDay - days + 1)}&to=${dayText(lastDay)}`;
      const samples = await timedCalls(page, url, options.calls);
      const figures = {
        days,
        calls: samples.length,
        median_ms: round(percentile(samples, 50)),
        p95_ms: round(percentile(samples, 95)),
      };
      log(`insights bench: page ${JSON.stringify(figures)}`);
      pages.push(figures);
    }
    // Steady state: a minute's worth of new records (a thousandth of the events, logins today of
    // existing players, through the API as a game sends them), then one refresh re-keys them.
    const recent = Math.max(1, Math.round(options.events / 1000));
    for (let i = 0; i < recent; i += 1000) {
      const users = Array.from({ length: Math.min(1000, recent - i) }, (_, j) => ({
        user_id: `p${((i + j) * 7907) % options.players}`,
        timestamp: new Date(Date.now() - 60_000).toISOString().replace('T', ' ').slice(0, 19),
        level: 60,
      }));
      const res = await app.inject({
        method: 'POST',
        url: '/v1/logins',
        headers: { authorization: `Bearer ${key}` },
        payload: { users },
      });
      if (res.statusCode !== 201) throw new Error(`logins: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    const stepStart = performance.now();
    const stepped = await admin(
      'POST',
      `/dashboards/${dashboard.id}/insights/refresh?environment=production`,
    );
    if (stepped.statusCode !== 200) throw new Error(`refresh: ${stepped.statusCode} ${stepped.body}`);
    const stepS = (performance.now() - stepStart) / 1000;
    log(`insights bench: a refresh after ${recent} new records took ${round(stepS, 2)} s`);
    // A persona recompute moves players: the next refresh rebuilds the default segment's aggregates.
    await sql`insert into persona_runs (dashboard_id, environment, segment_id, summary, last_number, computed_at)
      values (${dashboard.id}, 'production', 'default', '{}', 2, ${Date.now()})`.execute(db);
    const rebuildStart = performance.now();
    const rebuilt = await admin(
      'POST',
      `/dashboards/${dashboard.id}/insights/refresh?environment=production`,
    );
    if (rebuilt.statusCode !== 200) throw new Error(`refresh: ${rebuilt.statusCode} ${rebuilt.body}`);
    const rebuildS = (performance.now() - rebuildStart) / 1000;
    log(
      `insights bench: a refresh after a persona recompute (the default segment rebuilt) took ${round(rebuildS, 1)} s`,
    );
    await app.close();
    return {
      backend: options.backend,
      players: options.players,
      events: options.events,
      load_s: round(loadS),
      refresh_s: round(refreshS),
      new_records: recent,
      step_refresh_s: round(stepS, 2),
      rebuild_s: round(rebuildS),
      player_days: Number(rows[0]!.n),
      answers,
      pages,
    };
  } finally {
    await database.drop();
    await clickhouse?.drop();
  }
}

/** Signs in to the dashboard as the operator (the sign-in form's login cookie, then its POST). */
async function operatorSession(app: Awaited<ReturnType<typeof buildApp>>): Promise<string> {
  const form = await app.inject({ method: 'GET', url: '/dashboard/sign-in' });
  const login = /tf_login=([^;]+)/.exec(String(form.headers['set-cookie']))?.[1];
  if (!login) throw new Error(`sign-in form: ${form.statusCode}`);
  const res = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: { cookie: `tf_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _login: login, mode: 'operator', token: ADMIN_TOKEN }).toString(),
  });
  const session = /tf_session=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1];
  if (res.statusCode !== 303 || !session) throw new Error(`operator sign-in: ${res.statusCode}`);
  return `tf_session=${session}`;
}

/** A fresh database on every shard of the local test cluster. */
function clickHouseDatabase() {
  const urls = (process.env.TRAITFORGE_TEST_CLICKHOUSE_URL ?? '').split(',').filter(Boolean);
  if (urls.length === 0)
    throw new Error('the clickhouse insights bench needs TRAITFORGE_TEST_CLICKHOUSE_URL');
  const name = `tf_insights_bench_${randomBytes(4).toString('hex')}`;
  const named = urls.map((text) => {
    const url = new URL(text);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
      throw new Error('the bench only contacts a local ClickHouse');
    url.pathname = `/${name}`;
    return url.toString().replace(/\/$/, '');
  });
  const shards = openShards(named, 600_000);
  return {
    urls: named,
    shards,
    drop: () =>
      Promise.all(
        shards.map((s) =>
          s.command(chSql`DROP DATABASE IF EXISTS ${identifier(name)}`, { inDatabase: false }),
        ),
      ),
  };
}

/** The figures as a Markdown table (docs/insights.md): one row per answer and range, personas side by side. */
export function insightsBenchTable(figures: InsightsBenchFigures): string[] {
  const head = [
    'answer',
    'days',
    'all: median / p95',
    '1: median / p95',
    'none: median / p95',
    `< ${TARGET_MS} ms`,
  ];
  const lines = [
    `Insights (issue 14), ${figures.backend}: ${figures.players} players, ${figures.events} events over ${DAYS} days; load ${figures.load_s} s, refresh ${figures.refresh_s} s (${figures.player_days} player-days); then ${figures.new_records} new records refreshed in ${figures.step_refresh_s} s, a persona recompute's rebuild ${figures.rebuild_s} s`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
  ];
  for (const answer of ANSWERS) {
    for (const days of [30, 366]) {
      const cases = ['all', '1', 'none'].map(
        (p) => figures.answers.find((a) => a.answer === answer && a.days === days && a.persona === p)!,
      );
      const cell = (a: InsightsAnswerFigures) =>
        `${a.median_ms} / ${a.p95_ms} ms${a.calls < 20 ? ` (${a.calls} calls)` : ''}`;
      const within = cases.every((a) => a.p95_ms < TARGET_MS) ? 'yes' : 'no';
      lines.push(`| ${answer} | ${days} | ${cases.map(cell).join(' | ')} | ${within} |`);
    }
  }
  for (const p of figures.pages) {
    const cell = `${p.median_ms} / ${p.p95_ms} ms${p.calls < 20 ? ` (${p.calls} calls)` : ''}`;
    lines.push(`| dashboard page | ${p.days} | ${cell} | – | – | ${p.p95_ms < TARGET_MS ? 'yes' : 'no'} |`);
  }
  return lines;
}
