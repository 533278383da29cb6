/**
 * `npm run bench [-- --json] [--batches 200] [--concurrency 8] [--runs 1] [--backend sqlite,postgres]
 *   [--only actions,forge,files,personas,scan,insights]`
 *
 * For each backend: the real server on a fresh database takes `batches` 1000-action
 * `/v1/actions` bodies from `concurrency` clients (events/s, p50/p99 latency, the server's
 * peak RSS); then, on another fresh database, the same batches go straight through
 * `store.writeBatch` with the same concurrency: the ceiling. Then the Forge suite (forge.ts):
 * `POST /player/playtime` records/s in batches of 100 and of 1000 with quests active, against
 * ForgeIngestService.playtime called directly. Then the files suite (files.ts): bulk NDJSON and CSV
 * rows/s through the bucket channel from a local folder and from the S3 emulator against
 * store.writeBatch of the same rows, and the importer's peak RSS on a 1 GB file. The insights suite
 * (insights.ts) times every insights answer at a bulk-loaded scale on PostgreSQL and ClickHouse. PostgreSQL runs when
 * TRAITFORGE_TEST_DATABASE_URL is set. Only 127.0.0.1 is contacted.
 */
import type { Backend } from '../src/store/store.js';
import {
  FilesDataset,
  filesJson,
  filesTable,
  runFilesBackend,
  runRssCheck,
  type FilesBackendFigures,
  type FilesOptions,
  type RssFigures,
} from './files.js';
import {
  forgeJson,
  forgeTable,
  runForgeBackend,
  type ForgeBackendFigures,
  type ForgeOptions,
} from './forge.js';
import type { PhaseMessage, PhaseSpec } from './phase.js';
import {
  BENCH_CLICKHOUSE_URLS,
  withBenchDatabase,
  type BenchBackend,
  type BenchDatabase,
} from './support/database.js';
import { httpDriver, reportDriver, startPhase, type PhaseFigures } from './support/process.js';
import { ServerSampler } from './support/stats.js';
import {
  compare,
  comparisonJson,
  comparisonRows,
  medianByCase,
  medianOf,
  serverRows,
  textTable,
  type Comparison,
} from './support/report.js';
import { buildBody, type Workload } from './support/workload.js';
import { runScanBackend, scanTable, type ScanFigures } from './scan.js';
import { personaBenchTable, runPersonaBench, type PersonaBenchFigures } from './personas.js';
import {
  insightsBenchTable,
  runInsightsBench,
  type InsightsBackend,
  type InsightsBenchFigures,
} from './insights.js';

interface Options {
  json: boolean;
  batches: number;
  batchSize: number;
  concurrency: number;
  users: number;
  warmup: number;
  runs: number;
  backends: BenchBackend[];
  suites: Suite[];
  forgeRecords: number;
  forgeWarmup: number;
  forgePlayers: number;
  fileRows: number;
  files: number;
  fileGb: number;
  personaSizes: number[];
  scanPlayers: number;
  scanEvents: number;
  personaProfile: string | undefined;
  insightPlayers: number;
  insightEvents: number;
  insightCalls: number;
}

const SUITES = ['actions', 'forge', 'files', 'personas', 'scan', 'insights'] as const;
/** Run when no --only says otherwise: scan and insights load millions of events, so they run when asked. */
const DEFAULT_SUITES: readonly Suite[] = ['actions', 'forge', 'files', 'personas'];
const BACKENDS: readonly BenchBackend[] = ['sqlite', 'postgres', 'clickhouse'];
type Suite = (typeof SUITES)[number];

const USAGE = `usage: npm run bench -- [--json] [--backend sqlite,postgres] [--batches 200] [--batch-size 1000]
                     [--concurrency 8] [--users 20000] [--warmup 10] [--runs 1]
                     [--only actions,forge,files,personas,scan,insights] [--forge-records 10000] [--forge-warmup 2000]
                     [--forge-players 2000] [--file-rows 200000] [--files 8] [--file-gb 1]
                     [--persona-sizes 10000,100000,1000000] [--persona-profile DIR]
                     [--scan-players 1000000] [--scan-events 100000000]
                     [--insight-players 1000000] [--insight-events 10000000] [--insight-calls 20]
PostgreSQL is benchmarked when TRAITFORGE_TEST_DATABASE_URL is set (a database is created and
dropped on that server for each phase). With --runs N every figure is the median of N runs.
--only (or --suite) runs some suites: actions is the 12traits /v1/actions bench, forge the Forge
one, files the bucket files one (issue 4), personas the persona recompute and the traits/user-ids
latency (issue 5, --persona-sizes surveyed players per run; --persona-profile writes each
recompute's V8 CPU profile to DIR); these four by default. --file-rows rows per format
(NDJSON, CSV) in --files files each; --file-gb the size of the peak-RSS file (0 skips it).
scan (only when named) loads --scan-events events of --scan-players players in bulk on PostgreSQL and
ClickHouse and times the behavioural-features read. insights (only when named) times every insights
answer at --insight-players players and --insight-events events (issue 14: PostgreSQL, and
ClickHouse, or those --backend names; --insight-calls calls per answer, range and persona). ClickHouse (actions, scan,
insights) runs when TRAITFORGE_TEST_CLICKHOUSE_URL is set (a database made and dropped on every
shard for each phase).`;

const ADMIN_URL = process.env.TRAITFORGE_TEST_DATABASE_URL || undefined;
// The AWS SDK's notice about Node versions, once per phase process, is noise in a bench's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

class UsageError extends Error {}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    json: false,
    batches: 200,
    batchSize: 1000,
    concurrency: 8,
    users: 20_000,
    warmup: 10,
    runs: 1,
    backends: [
      'sqlite',
      ...(ADMIN_URL ? (['postgres'] as const) : []),
      ...(BENCH_CLICKHOUSE_URLS.length > 0 ? (['clickhouse'] as const) : []),
    ],
    suites: [...DEFAULT_SUITES],
    forgeRecords: 10_000,
    forgeWarmup: 2_000,
    forgePlayers: 2_000,
    fileRows: 200_000,
    files: 8,
    fileGb: 1,
    personaSizes: [10_000, 100_000, 1_000_000],
    scanPlayers: 1_000_000,
    scanEvents: 100_000_000,
    personaProfile: undefined,
    insightPlayers: 1_000_000,
    insightEvents: 10_000_000,
    insightCalls: 20,
  };
  const numeric = [
    'batches',
    'batch-size',
    'concurrency',
    'users',
    'warmup',
    'runs',
    'forge-records',
    'forge-warmup',
    'forge-players',
    'file-rows',
    'files',
    'scan-players',
    'scan-events',
    'insight-players',
    'insight-events',
    'insight-calls',
  ] as const;
  const numericKey = {
    'insight-players': 'insightPlayers',
    'insight-events': 'insightEvents',
    'insight-calls': 'insightCalls',
    'batch-size': 'batchSize',
    'forge-records': 'forgeRecords',
    'forge-warmup': 'forgeWarmup',
    'forge-players': 'forgePlayers',
    'file-rows': 'fileRows',
    'scan-players': 'scanPlayers',
    'scan-events': 'scanEvents',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!flag.startsWith('--')) throw new UsageError(`unknown argument ${arg}`);
    const name = flag.slice(2);
    const value = () => inline ?? argv[++i] ?? '';
    if (name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (name === 'json') options.json = true;
    else if (name === 'backend') {
      const list = value().split(',').filter(Boolean);
      if (list.length === 0 || !list.every((b): b is BenchBackend => BACKENDS.includes(b as BenchBackend)))
        throw new UsageError(`--backend takes some of ${BACKENDS.join(', ')}, got "${list.join(',')}"`);
      if (list.includes('postgres') && !ADMIN_URL)
        throw new UsageError('--backend postgres needs TRAITFORGE_TEST_DATABASE_URL');
      if (list.includes('clickhouse') && BENCH_CLICKHOUSE_URLS.length === 0)
        throw new UsageError('--backend clickhouse needs TRAITFORGE_TEST_CLICKHOUSE_URL');
      options.backends = list;
    } else if (name === 'suite' || name === 'only') {
      const list = value().split(',').filter(Boolean);
      if (list.length === 0 || !list.every((s): s is Suite => (SUITES as readonly string[]).includes(s)))
        throw new UsageError(`--${name} takes some of ${SUITES.join(', ')}, got "${list.join(',')}"`);
      options.suites = list;
    } else if (name === 'persona-sizes') {
      const sizes = value().split(',').filter(Boolean).map(Number);
      if (sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n >= 10))
        throw new UsageError('--persona-sizes takes a list of player counts (each at least 10)');
      options.personaSizes = sizes;
    } else if (name === 'persona-profile') {
      const dir = value();
      if (!dir) throw new UsageError('--persona-profile takes a directory');
      options.personaProfile = dir;
    } else if (name === 'file-gb') {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new UsageError('--file-gb takes a size in GB, 0 to skip');
      options.fileGb = n;
    } else if ((numeric as readonly string[]).includes(name)) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (name === 'warmup' || name === 'forge-warmup' ? 0 : 1))
        throw new UsageError(`--${name} takes a positive whole number`);
      const key =
        name in numericKey
          ? numericKey[name as keyof typeof numericKey]
          : (name as Exclude<(typeof numeric)[number], keyof typeof numericKey>);
      options[key] = n;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  return options;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/** Starts one 12traits phase process. */
const startActionsPhase = (spec: PhaseSpec) => startPhase<PhaseMessage>('phase.js', spec.phase, spec);

async function runBackend(
  backend: BenchBackend,
  options: Options,
  workload: Workload,
  bodies: readonly Buffer[],
): Promise<Comparison> {
  const base = { workload, concurrency: options.concurrency, warmup: options.warmup };
  const request = (body: Buffer) => ({ path: '/v1/actions', body });
  const load = {
    headers: (ready: { apiKey?: string }) => ({ authorization: `Bearer ${ready.apiKey!}` }),
    concurrency: options.concurrency,
    status: 201,
    timed: bodies.slice(0, workload.batches).map(request),
    warmup: bodies.slice(workload.batches).map(request),
  };
  // The database server's processes over each phase: ClickHouse's servers, or the PostgreSQL
  // backends of the phase's own database.
  const watched = async (database: BenchDatabase, phase: () => Promise<PhaseFigures>) => {
    if (backend === 'sqlite') return phase();
    const server =
      backend === 'clickhouse'
        ? new ServerSampler('clickhouse-serv')
        : new ServerSampler('postgres', ` ${new URL(database.location).pathname.slice(1)} `);
    const figures = await phase();
    return { ...figures, server: server.stop() };
  };
  const http = await withBenchDatabase(backend, ADMIN_URL, (database) =>
    watched(database, () =>
      httpDriver(startActionsPhase({ phase: 'http', database, ...base }), load, 'http'),
    ),
  );
  const ceiling = await withBenchDatabase(backend, ADMIN_URL, (database) =>
    watched(database, () =>
      reportDriver(startActionsPhase({ phase: 'ceiling', database, ...base }), 'ceiling'),
    ),
  );
  return compare(workload.batches * workload.batchSize, http, ceiling);
}

function table(results: Partial<Record<BenchBackend, Comparison>>, options: Options): string {
  const runs = options.runs > 1 ? `, medians of ${options.runs} runs` : '';
  return textTable(
    `${options.batches} batches × ${options.batchSize} actions, ${options.concurrency} concurrent clients, ${options.users.toLocaleString('en-US')} users${runs}`,
    options.backends.filter((b) => results[b]).map((b) => ({ head: b, figures: results[b]! })),
    [...comparisonRows('events', 'store'), ...serverRows('events')],
  );
}

/** The SQL backends chosen: the suites other than actions and scan run on them alone. */
const sqlBackends = (options: Options) => options.backends.filter((b): b is Backend => b !== 'clickhouse');

/** `runs` runs of `run` per backend (the SQL ones unless `withClickHouse`), each figure the median. */
async function perBackend<T extends object, B extends BenchBackend = Backend>(
  options: Options,
  label: string,
  median: (runs: T[]) => T,
  run: (backend: B) => Promise<T>,
  withClickHouse = false,
): Promise<Partial<Record<B, T>>> {
  const results: Partial<Record<B, T>> = {};
  for (const backend of (withClickHouse ? options.backends : sqlBackends(options)) as B[]) {
    const runs: T[] = [];
    for (let i = 1; i <= options.runs; i++) {
      log(`${label}${backend}: run ${i} of ${options.runs}…`);
      runs.push(await run(backend));
    }
    results[backend] = median(runs);
  }
  return results;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workload: Workload = {
    batches: options.batches,
    batchSize: options.batchSize,
    users: options.users,
    seed: 20240611,
    baseTime: Date.now(),
  };
  const seeded = { seed: workload.seed, baseTime: workload.baseTime };
  const json: Record<string, unknown> = {};
  const tables: string[] = [];
  if (options.suites.includes('actions')) {
    log(`building ${options.batches + options.warmup} request bodies…`);
    const bodies = Array.from({ length: options.batches + options.warmup }, (_, i) => buildBody(workload, i));
    const results = await perBackend(
      options,
      '',
      medianOf<Comparison>,
      async (backend: BenchBackend) => {
        const figures = await runBackend(backend, options, workload, bodies);
        log(`${backend}: ${JSON.stringify(figures)}`);
        return figures;
      },
      true,
    );
    tables.push(table(results, options));
    for (const [backend, f] of Object.entries(results)) json[backend] = comparisonJson('events', f);
  }
  if (options.suites.includes('forge')) {
    const forgeOptions: ForgeOptions = {
      records: options.forgeRecords,
      warmupRecords: options.forgeWarmup,
      players: options.forgePlayers,
      concurrency: options.concurrency,
      batchSizes: [100, 1000],
    };
    const forgeWorkload = { ...forgeOptions, ...seeded };
    const forge: Partial<Record<Backend, ForgeBackendFigures>> = await perBackend(
      options,
      'forge ',
      medianByCase,
      (backend) => runForgeBackend(backend, forgeOptions, forgeWorkload, ADMIN_URL, log),
    );
    tables.push(forgeTable(forge, sqlBackends(options), forgeOptions, options.runs));
    json.forge = forgeJson(forge);
  }
  if (options.suites.includes('files')) {
    const { fileRows: rows, files: fileCount, fileGb, users } = options;
    const filesOptions: FilesOptions = { rows, files: fileCount, fileGb, users, ...seeded };
    log(
      `files: writing ${options.fileRows.toLocaleString('en-US')} rows per format and uploading them to fauxqs…`,
    );
    const dataset = await FilesDataset.create(filesOptions);
    let files: Partial<Record<Backend, FilesBackendFigures>>;
    try {
      files = await perBackend(options, 'files ', medianByCase<FilesBackendFigures>, (backend) =>
        runFilesBackend(backend, dataset, ADMIN_URL),
      );
    } finally {
      await dataset.close();
    }
    const rss: RssFigures | undefined = options.fileGb > 0 ? await runRssCheck(filesOptions) : undefined;
    const written = { rows: dataset.workload.batches * dataset.workload.batchSize, files: fileCount };
    tables.push(filesTable(files, sqlBackends(options), written, options.runs, rss));
    json.files = filesJson(files, rss);
  }
  if (options.suites.includes('personas')) {
    const personas: Partial<Record<Backend, PersonaBenchFigures['runs']>> = {};
    for (const backend of sqlBackends(options)) {
      const figures = await runPersonaBench({
        sizes: options.personaSizes,
        backend,
        requests: 200,
        log,
        profileDir: options.personaProfile,
      });
      tables.push([`Personas (issue 5), ${backend}`, '', ...personaBenchTable(figures)].join('\n'));
      personas[backend] = figures.runs;
    }
    json.personas = personas;
  }
  if (options.suites.includes('scan')) {
    const scanOptions = { players: options.scanPlayers, events: options.scanEvents };
    const scanBackends = options.backends.filter((b) => b !== 'sqlite');
    const scan: Partial<Record<BenchBackend, ScanFigures>> = {};
    for (const backend of scanBackends) {
      log(`scan ${backend}: loading ${options.scanEvents.toLocaleString('en-US')} events…`);
      scan[backend] = await runScanBackend(backend, scanOptions, ADMIN_URL);
      log(`scan ${backend}: ${JSON.stringify(scan[backend])}`);
    }
    tables.push(scanTable(scan, scanOptions));
    json.scan = scan;
  }
  if (options.suites.includes('insights')) {
    if (!ADMIN_URL) throw new UsageError('the insights suite needs TRAITFORGE_TEST_DATABASE_URL');
    // Its control plane is PostgreSQL whichever event backend: `--backend clickhouse` runs that one alone.
    const backends = options.backends.filter(
      (b): b is InsightsBackend => b === 'postgres' || b === 'clickhouse',
    );
    if (backends.length === 0)
      throw new UsageError('the insights suite runs on postgres or clickhouse (--backend)');
    const insights: Partial<Record<InsightsBackend, InsightsBenchFigures>> = {};
    for (const backend of backends) {
      const figures = await runInsightsBench({
        players: options.insightPlayers,
        events: options.insightEvents,
        calls: options.insightCalls,
        backend,
        log,
      });
      tables.push(insightsBenchTable(figures).join('\n'));
      insights[backend] = figures;
    }
    json.insights = insights;
  }
  process.stdout.write(`${tables.join('\n\n')}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().catch((error: unknown) => {
  const text =
    error instanceof UsageError
      ? `${error.message}\n${USAGE}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`bench failed: ${text}\n`);
  process.exitCode = 1;
});
