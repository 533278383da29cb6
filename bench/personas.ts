/**
 * Personas bench (issue 5): `node dist/bench/personas.js [--sizes 10000,100000,1000000]
 * [--backend sqlite|postgres] [--requests 200] [--json]`, or `runPersonaBench(options)` from the
 * bench runner.
 *
 * For each size, on a fresh database: N surveyed players (trait scores around 4 centres, a
 * login profile, 1–3 logins, purchases for a quarter of them) and N/10 players without a survey
 * are bulk-inserted; then one persona recompute of the dashboard's production environment is
 * timed (read the scores, behavioural features in SQL, the tied Gaussian mixture for k = 1..8
 * with its null check, membership probabilities,
 * prediction, writing the memberships), and the /v1 traits and user-ids endpoints are called
 * `requests` times each through `app.inject` (p50/p99). PostgreSQL needs
 * TRAITFORGE_TEST_DATABASE_URL (a local server: only 127.0.0.1 is contacted).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { seededRandom } from '../src/domain/seeded-random.js';
import { TRAIT_DIMENSIONS, traitScoresOf } from '../src/personas/trait-vector.js';
import { buildServices } from '../src/services.js';
import type { EventDatabase } from '../src/events/sql/schema.js';
import type { Database } from '../src/store/database.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Backend, Store } from '../src/store/store.js';

export interface PersonaBenchOptions {
  /** Surveyed players per run. */
  sizes: readonly number[];
  backend: Backend;
  /** Requests per endpoint for the latency figures. */
  requests: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
  /** A directory: the recompute's CPU profile (V8 `.cpuprofile`, recompute only) is written there. */
  profileDir?: string;
}

export interface PersonaBenchRun {
  surveyed: number;
  players: number;
  load_s: number;
  recompute_ms: number;
  /** CPU time of this process during the recompute (less sensitive to a busy machine than wall time). */
  recompute_cpu_ms: number;
  /** PostgreSQL only: CPU time of the bench database's server processes during the recompute. */
  recompute_db_cpu_ms: number | null;
  ms_per_1k_players: number;
  k: number;
  accuracy: number | null;
  baseline: number | null;
  peak_rss_mb: number;
  traits_p50_ms: number;
  traits_p99_ms: number;
  traits_all_p50_ms: number;
  user_ids_p50_ms: number;
  user_ids_p99_ms: number;
  /** Ids in one user-ids answer (persona 1, default page). */
  user_ids_per_answer: number;
}

export interface PersonaBenchFigures {
  backend: Backend;
  runs: PersonaBenchRun[];
}

const CENTRES = 4;
const CHUNK = 2_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
}
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

interface BenchDb {
  dataDir: string;
  databaseUrl: string | undefined;
  store: Store;
  /** PostgreSQL: the bench database's name (its server processes are counted). */
  name: string | undefined;
  drop(): Promise<void>;
}

const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time of a database's client backends on the local PostgreSQL server, from /proc (user +
 * system), sampled every 100 ms while `work` runs: backends that start meanwhile count from zero,
 * a backend that ends loses at most its last 100 ms.
 */
async function databaseCpuMs(adminUrl: string, database: string, work: () => Promise<void>): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async (initial: boolean) => {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
      [database],
    );
    for (const { pid } of rows) {
      let ticks: number;
      try {
        // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Number(fields[11]) + Number(fields[12]);
      } catch {
        continue;
      }
      if (!first.has(pid)) first.set(pid, initial ? ticks : 0);
      last.set(pid, ticks);
    }
  };
  try {
    await sample(true);
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(() => sample(false));
    }, 100);
    try {
      await work();
    } finally {
      clearInterval(timer);
      await sampling;
    }
    await sample(false);
  } finally {
    await admin.end();
  }
  let ticks = 0;
  for (const [pid, end] of last) ticks += end - first.get(pid)!;
  return (ticks / CLOCK_TICKS_PER_S) * 1000;
}

/** Runs `work` under the V8 profiler and writes its profile to `file`. */
async function profiled(file: string, work: () => Promise<void>): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    await work();
  } finally {
    try {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
    } finally {
      session.disconnect();
    }
  }
}

export async function freshDatabase(backend: Backend): Promise<BenchDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'traitforge-persona-bench-'));
  if (backend === 'sqlite') {
    const store = SqliteStore.open(join(dataDir, 'traitforge.sqlite'));
    return {
      dataDir,
      databaseUrl: undefined,
      store,
      name: undefined,
      drop: async () => {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = process.env.TRAITFORGE_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('the postgres personas bench needs TRAITFORGE_TEST_DATABASE_URL');
  const host = new URL(adminUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error('the bench only contacts a local PostgreSQL');
  const name = `tf_persona_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const store = PostgresStore.open(url.toString());
  return {
    dataDir,
    databaseUrl: url.toString(),
    store,
    name,
    drop: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Multi-row inserts in chunks, one transaction per 50 chunks. */
async function bulkInsert(
  db: Kysely<Database & EventDatabase>,
  table: keyof (Database & EventDatabase),
  count: number,
  row: (i: number) => Record<string, unknown>,
): Promise<void> {
  const perTransaction = CHUNK * 50;
  for (let start = 0; start < count; start += perTransaction) {
    await db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(count, start + perTransaction); i += CHUNK) {
        const rows = Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => row(i + j));
        // Kysely's insert types are table-specific; the rows are the table's own.
        await trx
          .insertInto(table)
          .values(rows as never)
          .execute();
      }
    });
  }
}

/** N surveyed and N/10 unsurveyed players with profiles, logins and some purchases. */
export async function load(
  db: Kysely<Database & EventDatabase>,
  dashboardId: string,
  surveyed: number,
): Promise<number> {
  const random = seededRandom(42);
  const players = surveyed + Math.floor(surveyed / 10);
  const userId = (i: number) => `player-${String(i).padStart(8, '0')}`;
  const cluster = (i: number) => i % CENTRES;
  const centre = (c: number) =>
    Array.from({ length: TRAIT_DIMENSIONS }, (_, j) => (j % CENTRES === c ? 75 : 35));
  const centres = Array.from({ length: CENTRES }, (_, c) => centre(c));
  const scope = { dashboard_id: dashboardId, environment: 'production' as const };
  await bulkInsert(db, 'players', players, (i) => ({
    ...scope,
    user_id: userId(i),
    first_seen_at: Date.UTC(2026, 0, 1),
    last_login_at: Date.UTC(2026, 0, 2 + (i % 20)),
    clan_id: null,
    level: 5 + cluster(i) * 10 + (i % 7),
    device: null,
    country: ['US', 'FR', 'DE', 'BR'][cluster(i)]!,
    platform: ['Steam', 'Apple', 'Android', 'Xbox'][cluster(i)]!,
    language: null,
    register_date: '2025-12-01',
  }));
  const ids = new Map<string, number>();
  for (const r of await db
    .selectFrom('players')
    .select(['id', 'user_id'])
    .where('dashboard_id', '=', dashboardId)
    .execute())
    ids.set(r.user_id, r.id);
  await bulkInsert(db, 'trait_scores', surveyed, (i) => ({
    ...scope,
    user_id: userId(i),
    scores: JSON.stringify(
      traitScoresOf(centres[cluster(i)]!.map((x) => Math.round(x + (random() * 2 - 1) * 15))),
    ),
    completed_at: Date.UTC(2026, 0, 3),
  }));
  // Logins: 1–3 per player, more for clusters 0 and 2; purchases for cluster 0 players.
  const logins = (i: number) => (cluster(i) % 2 === 0 ? 3 : 1);
  const loginRows: [number, number][] = [];
  for (let i = 0; i < players; i++) for (let n = 0; n < logins(i); n++) loginRows.push([i, n]);
  await bulkInsert(db, 'logins', loginRows.length, (r) => {
    const [i, n] = loginRows[r]!;
    return {
      ...scope,
      player_id: ids.get(userId(i))!,
      ts: Date.UTC(2026, 0, 2 + n),
      received_at: Date.UTC(2026, 0, 5),
      extra: null,
      clan_id: null,
      level: 5 + cluster(i) * 10,
      device: null,
      country: null,
      platform: null,
      language: null,
      register_date: null,
      last_login_timestamp: null,
    };
  });
  const payers = Array.from({ length: players }, (_, i) => i).filter((i) => cluster(i) === 0);
  await bulkInsert(
    db,
    'purchases',
    payers.length,
    (r) =>
      ({
        ...scope,
        player_id: ids.get(userId(payers[r]!))!,
        ts: Date.UTC(2026, 0, 3),
        received_at: Date.UTC(2026, 0, 5),
        extra: null,
        item_id: 'gems',
        count: 1,
        price: 4.99,
        platform: null,
      }) as never,
  );
  return players;
}

async function runSize(
  backend: Backend,
  surveyed: number,
  requests: number,
  log: (line: string) => void,
  profileDir: string | undefined,
) {
  const database = await freshDatabase(backend);
  try {
    await database.store.migrate();
    const config = parseConfig({ adminToken: ADMIN_TOKEN, dataDir: database.dataDir, logLevel: 'silent' });
    const services = buildServices(config, database.store);
    const dashboard = await services.tenancy.createDashboard(`bench ${surveyed}`);
    const loadStart = performance.now();
    const players = await load(
      database.store.db as unknown as Kysely<Database & EventDatabase>,
      dashboard.id,
      surveyed,
    );
    const loadS = (performance.now() - loadStart) / 1000;
    log(
      `personas bench: ${backend} ${surveyed} surveyed / ${players} players loaded in ${round(loadS, 1)} s`,
    );

    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    const start = performance.now();
    const cpu = process.cpuUsage();
    let result: Awaited<ReturnType<typeof services.personas.recompute>> | undefined;
    let work = async () => {
      result = await services.personas.recompute(dashboard.id, 'production');
    };
    if (profileDir) {
      const file = join(profileDir, `personas-${backend}-${surveyed}.cpuprofile`);
      const recompute = work;
      work = () => profiled(file, recompute);
    }
    const databaseCpu = database.name
      ? await databaseCpuMs(process.env.TRAITFORGE_TEST_DATABASE_URL!, database.name, work)
      : (await work(), null);
    const recomputeMs = performance.now() - start;
    const cpuUsed = process.cpuUsage(cpu);
    clearInterval(sampler);
    const segment = result!.environments[0]!.segments[0]!;
    log(`personas bench: recompute ${round(recomputeMs, 0)} ms (k = ${segment.k})`);

    const app = await buildApp(config, database.store, { logger: false });
    await app.ready();
    const key = dashboard.keys.production.key;
    const timed = async (url: string) => {
      const samples: number[] = [];
      let last = '';
      for (let i = 0; i < requests; i++) {
        const t0 = performance.now();
        const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
        samples.push(performance.now() - t0);
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        last = res.body;
      }
      return { samples, last };
    };
    const traits = await timed('/v1/segments/default/personas/1/traits');
    const traitsAll = await timed('/v1/segments/default/personas/all/traits');
    const ids = await timed('/v1/segments/default/personas/1/user-ids');
    await app.close();
    const run: PersonaBenchRun = {
      surveyed,
      players,
      load_s: round(loadS, 1),
      recompute_ms: round(recomputeMs, 0),
      recompute_cpu_ms: round((cpuUsed.user + cpuUsed.system) / 1000, 0),
      recompute_db_cpu_ms: databaseCpu === null ? null : round(databaseCpu, 0),
      ms_per_1k_players: round(recomputeMs / (players / 1000)),
      k: segment.k,
      accuracy: segment.prediction?.accuracy ?? null,
      baseline: segment.prediction?.baseline ?? null,
      peak_rss_mb: round(peak / 2 ** 20, 0),
      traits_p50_ms: round(percentile(traits.samples, 50)),
      traits_p99_ms: round(percentile(traits.samples, 99)),
      traits_all_p50_ms: round(percentile(traitsAll.samples, 50)),
      user_ids_p50_ms: round(percentile(ids.samples, 50)),
      user_ids_p99_ms: round(percentile(ids.samples, 99)),
      user_ids_per_answer: (JSON.parse(ids.last) as { data: { ids: string[] } }).data.ids.length,
    };
    return run;
  } finally {
    await database.drop();
  }
}

/** Recompute time and endpoint latency for each size, one fresh database each. */
export async function runPersonaBench(options: PersonaBenchOptions): Promise<PersonaBenchFigures> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runs: PersonaBenchRun[] = [];
  for (const size of options.sizes)
    runs.push(await runSize(options.backend, size, options.requests, log, options.profileDir));
  return { backend: options.backend, runs };
}

/** The figures as a Markdown table (docs/performance.md). */
export function personaBenchTable(figures: PersonaBenchFigures): string[] {
  const head = [
    'surveyed',
    'players',
    'recompute (wall)',
    'CPU (Node)',
    'CPU (PostgreSQL)',
    'ms / 1k players',
    'k',
    'accuracy / baseline',
    'peak RSS',
    'traits p50 / p99',
    'user-ids p50 / p99 (ids)',
  ];
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...figures.runs.map(
      (r) =>
        `| ${r.surveyed} | ${r.players} | ${(r.recompute_ms / 1000).toFixed(1)} s | ${(r.recompute_cpu_ms / 1000).toFixed(1)} s | ${r.recompute_db_cpu_ms === null ? '-' : `${(r.recompute_db_cpu_ms / 1000).toFixed(1)} s`} | ${r.ms_per_1k_players} | ${r.k} | ${r.accuracy ?? '-'} / ${r.baseline ?? '-'} | ${r.peak_rss_mb} MB | ${r.traits_p50_ms} / ${r.traits_p99_ms} ms | ${r.user_ids_p50_ms} / ${r.user_ids_p99_ms} ms (${r.user_ids_per_answer}) |`,
    ),
  ];
}
