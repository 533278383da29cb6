import type { Config } from './config/config.js';
import { CSV_INGESTION_JOB, FileIngestionService } from './files/file-ingestion.service.js';
import { JobQueue } from './jobs/job-queue.js';
import { JobWorker, type JobHandler, type JobWorkerOptions } from './jobs/job-worker.js';
import { ForgeIngestService } from './forge/forge-ingest.service.js';
import { ForgeKeyService } from './forge/forge-keys.service.js';
import { PlayersRepository } from './forge/players.repository.js';
import { PlayersService } from './forge/players.service.js';
import { QuestService } from './forge/quests.service.js';
import { PlayFabSettingsRepository } from './playfab/playfab-settings.repository.js';
import { PlayFabService } from './playfab/playfab.service.js';
import { Metrics } from './http/plugins/metrics.js';
import { IngestService } from './ingest/ingest.service.js';
import { RecordsService } from './records/records.service.js';
import { NotificationService } from './notifications/notifications.service.js';
import { DestinationPolicy } from './webhooks/destination-policy.js';
import { WebhookEndpointsRepository } from './webhooks/webhook-endpoints.repository.js';
import { WEBHOOK_JOB, WebhookService } from './webhooks/webhook.service.js';
import { PeriodicTasks } from './jobs/periodic-tasks.js';
import { StorageConnectionsRepository } from './sources/storage-connections.repository.js';
import { STORAGE_SYNC_JOB, StorageConnectionService } from './sources/storage-connections.service.js';
import { SecretBox } from './tenancy/secret-box.js';
import type { Store } from './store/store.js';
import type { EventStore } from './events/event-store.js';
import type { DeletionJobOptions } from './events/clickhouse/deletion-jobs.js';
import { openEventStore } from './events/open-event-store.js';
import { TenancyRepository } from './tenancy/tenancy.repository.js';
import { TenancyService } from './tenancy/tenancy.service.js';
import { SurveyRepository } from './survey/survey.repository.js';
import { SurveyService } from './survey/survey.service.js';
import { SurveyQualityService } from './survey/survey-quality.service.js';
import { DashboardAuthRepository } from './dashboard/dashboard-auth.repository.js';
import { DashboardAuthService } from './dashboard/dashboard-auth.service.js';
import { RecentBatches } from './ingest/recent-batches.js';
import { RejectLog } from './ingest/reject-log.js';
import { RejectsRepository } from './ingest/rejects.repository.js';
import type { IngestObserver } from './ingest/ingest.service.js';
import { ENVIRONMENTS } from './domain/records.js';
import { PersonaService, type PersonaOptions } from './personas/persona.service.js';
import { SegmentService } from './personas/segments.service.js';
import { TraitImportRepository } from './personas/trait-import.repository.js';
import { TraitImportService } from './personas/trait-import.service.js';
import { UserDataService } from './privacy/user-data.service.js';
import { InsightsRollup } from './insights/insights-rollup.js';
import { InsightsRepository } from './insights/insights.repository.js';
import { InsightsService } from './insights/insights.service.js';
import { FiguresRepository } from './insights/figures.repository.js';
import { FiguresService } from './insights/figures.service.js';
import { PersonaProfilesService } from './insights/persona-profiles.service.js';
import { PersonaRepository } from './personas/personas.repository.js';

export interface Services {
  /** The sole owner of player event data (src/events/). */
  events: EventStore;
  tenancy: TenancyService;
  ingest: IngestService;
  records: RecordsService;
  metrics: Metrics;
  forgeKeys: ForgeKeyService;
  forgeIngest: ForgeIngestService;
  players: PlayersService;
  quests: QuestService;
  /** Outbound webhooks (notifications, quest completions): endpoints, secrets, deliveries. */
  webhooks: WebhookService;
  playfab: PlayFabService;
  files: FileIngestionService;
  jobQueue: JobQueue;
  jobs: JobWorker;
  storageConnections: StorageConnectionService;
  notifications: NotificationService;
  /** Background work: durable jobs (webhook deliveries among them), scheduled syncs, sweeps. */
  workers: Workers;
  survey: SurveyService;
  surveyQuality: SurveyQualityService;
  /** The last accepted batches of this process (the dashboard's live tail). */
  recentBatches: RecentBatches;
  /** Refused pushes, bounded per dashboard and environment. */
  rejects: RejectLog;
  dashboardAuth: DashboardAuthService;
  segments: SegmentService;
  personas: PersonaService;
  traitImport: TraitImportService;
  userData: UserDataService;
  insights: InsightsService;
  /** Engagement, monetisation, churn, progression and KPI figures (docs/insights.md). */
  figures: FiguresService;
  /** Each persona's KPIs and traits against its segment's. */
  personaProfiles: PersonaProfilesService;
}

/** Every background worker of a process, started and stopped together. */
export interface Workers {
  start(): void;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  jobWorker?: JobWorkerOptions;
  /** Told when a periodic task fails (the server logs it). */
  onTaskError?: (task: string, error: unknown) => void;
  personas?: PersonaOptions;
  /** Where player event data lives; default: the store's own database (`events/sql`). */
  events?: EventStore;
  /** How the ClickHouse deletion job waits and polls (tests shorten both). */
  deletionJob?: DeletionJobOptions;
}

/** Due scheduled syncs are queued this often; abandoned upload pieces swept this often. */
const SCHEDULE_EVERY_MS = 30_000;
const SWEEP_EVERY_MS = 10 * 60_000;
/** Webhook URLs stored in the clear by an older version are sealed at a worker's start, then hourly. */
const SEAL_EVERY_MS = 60 * 60_000;
/** Insights rollups catch up with new records this often (docs/insights.md, "Freshness"). */
export const INSIGHTS_EVERY_MS = 60_000;

/** The composition root's service half: every service, wired explicitly; shared by the HTTP app and the CLI. */
export function buildServices(config: Config, store: Store, options: ServiceOptions = {}): Services {
  const metrics = new Metrics();
  const forgeKeys = new ForgeKeyService(store.db);
  const secrets = once(() => SecretBox.open(config.secretKey, config.dataDir));
  const jobQueue = new JobQueue(store.db, store.capabilities);
  const opened = options.events
    ? { events: options.events, jobHandlers: [], periodicTasks: [] }
    : openEventStore(config, store, jobQueue, options.deletionJob);
  const events = opened.events;
  const webhooks = new WebhookService(
    store.db,
    new WebhookEndpointsRepository(store.db),
    jobQueue,
    new DestinationPolicy(config.webhookAllow),
    secrets,
  );
  const quests = new QuestService(store.db, store.capabilities.rowLocks, webhooks);
  const playersRepo = new PlayersRepository(store.db);
  const recentBatches = new RecentBatches();
  const observer: IngestObserver = {
    ingested: (def, environment, count) => {
      metrics.ingested(def, environment, count);
    },
    rejected: (def, count) => {
      metrics.rejected(def, count);
    },
    accepted: (principal, def, count, first) => {
      recentBatches.push(principal.dashboardId, principal.environment, def.type, count, first);
    },
  };
  const ingest = new IngestService(events, config.maxBatchRecords, observer);
  const files = new FileIngestionService(store.db, ingest, jobQueue, {
    maxUploadBytes: config.maxUploadBytes,
  });
  const tenancy = new TenancyService(new TenancyRepository(store.db), (key) => forgeKeys.isForgeKey(key));
  const surveyRepo = new SurveyRepository(store.db);
  // One per process: it caches the reliability figures and the careless-responding reference.
  const surveyQuality = new SurveyQualityService(surveyRepo);
  const notifications = new NotificationService(tenancy, webhooks);
  const storageConnections = new StorageConnectionService(
    new StorageConnectionsRepository(store.db),
    tenancy,
    ingest,
    jobQueue,
    notifications,
    secrets,
  );
  // Segments and personas refer to each other: a new segment schedules its personas' computation.
  const segments = new SegmentService(store.db, tenancy, (dashboardId) => {
    for (const environment of ENVIRONMENTS) personas.scheduleRecompute(dashboardId, environment);
  });
  const insightsRollup = new InsightsRollup(store.db, events.insights);
  const personas = new PersonaService(store, events, tenancy, segments, {
    ...options.personas,
    // The aggregates by persona are rebuilt for the new memberships now, not by the next answer.
    onRecomputed: (dashboardId, environment, segmentIds) =>
      insightsRollup.personasRecomputed({ dashboardId, environment }, segmentIds),
  });
  const insightsRepository = new InsightsRepository(store.db, insightsRollup);
  const figuresRepository = new FiguresRepository(store.db, insightsRollup);
  const insights = new InsightsService(insightsRepository, insightsRollup, tenancy, segments, events);
  const jobs = new JobWorker(
    jobQueue,
    new Map<string, JobHandler>([
      [CSV_INGESTION_JOB, files],
      [STORAGE_SYNC_JOB, storageConnections],
      [WEBHOOK_JOB, webhooks],
      ...opened.jobHandlers,
    ]),
    { leaseMs: config.jobLeaseMs, ...options.jobWorker },
  );
  const periodic = new PeriodicTasks(
    [
      { name: 'scheduled-syncs', everyMs: SCHEDULE_EVERY_MS, run: () => storageConnections.enqueueDue() },
      { name: 'abandoned-uploads', everyMs: SWEEP_EVERY_MS, run: () => files.sweepAbandonedUploads() },
      { name: 'seal-webhook-urls', everyMs: SEAL_EVERY_MS, run: () => webhooks.sealStoredUrls() },
      { name: 'insights-rollups', everyMs: INSIGHTS_EVERY_MS, run: () => insights.refreshAll() },
      ...opened.periodicTasks,
    ],
    options.onTaskError,
  );
  return {
    events,
    recentBatches,
    rejects: new RejectLog(new RejectsRepository(store.db)),
    dashboardAuth: new DashboardAuthService(
      new DashboardAuthRepository(store.db),
      tenancy,
      config.adminToken,
      secrets,
    ),
    segments,
    personas,
    // Imported scores change the personas as a completed survey does.
    traitImport: new TraitImportService(
      new TraitImportRepository(store.db),
      tenancy,
      (dashboardId, environment) => {
        personas.scheduleRecompute(dashboardId, environment);
      },
    ),
    userData: new UserDataService(store.db, events, {
      onDeleted: (dashboardId, environment) => {
        personas.scheduleRecompute(dashboardId, environment);
      },
      forgetInMemory: (dashboardId, environment, userId) => {
        recentBatches.forget(dashboardId, environment, userId);
      },
      deletionStarted: (trx, dashboardId, environment, userId) =>
        insightsRollup.deletionStarted(trx, dashboardId, environment, userId),
      rowsDeleted: (trx) => insightsRollup.rowsDeleted(trx),
    }),
    insights,
    figures: new FiguresService(insightsRepository, figuresRepository, segments),
    personaProfiles: new PersonaProfilesService(
      insightsRepository,
      figuresRepository,
      new PersonaRepository(store),
      segments,
    ),
    files,
    jobQueue,
    storageConnections,
    notifications,
    jobs,
    metrics,
    tenancy,
    ingest,
    records: new RecordsService(events),
    forgeKeys,
    forgeIngest: new ForgeIngestService(store.db, playersRepo, quests, config.maxBatchRecords),
    players: new PlayersService(playersRepo, quests),
    quests,
    webhooks,
    playfab: new PlayFabService(ingest, new PlayFabSettingsRepository(store.db), config.maxBatchRecords),
    workers: {
      start() {
        jobs.start();
        periodic.start();
      },
      async stop() {
        await Promise.all([jobs.stop(), periodic.stop()]);
      },
    },
    surveyQuality,
    survey: new SurveyService(surveyRepo, {
      minMsPerItem: config.surveyMinMsPerItem,
      quality: surveyQuality,
      // A completion changes the personas: recomputed once completions pause (debounced).
      onCompleted: (dashboardId, environment) => {
        personas.scheduleRecompute(dashboardId, environment);
      },
    }),
  };
}

/** A value made on first use, then kept. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
