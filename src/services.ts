import type { Config } from './config/config.js';
import { CSV_INGESTION_JOB, FileIngestionService } from './files/file-ingestion.service.js';
import { JobQueue } from './jobs/job-queue.js';
import { JobWorker, type JobWorkerOptions } from './jobs/job-worker.js';
import { ForgeIngestService } from './forge/forge-ingest.service.js';
import { ForgeKeyService } from './forge/forge-keys.service.js';
import { PlayersRepository } from './forge/players.repository.js';
import { PlayersService } from './forge/players.service.js';
import { QuestService } from './forge/quests.service.js';
import { WebhookWorker } from './forge/webhook-worker.js';
import { PlayFabSettingsRepository } from './playfab/playfab-settings.repository.js';
import { PlayFabService } from './playfab/playfab.service.js';
import { Metrics } from './http/plugins/metrics.js';
import { IngestService } from './ingest/ingest.service.js';
import { RecordsRepository } from './records/records.repository.js';
import { RecordsService } from './records/records.service.js';
import { StorageConnectionService } from './sources/storage-connections.service.js';
import { SecretBox } from './tenancy/secret-box.js';
import type { Store } from './store/store.js';
import { TenancyRepository } from './tenancy/tenancy.repository.js';
import { TenancyService } from './tenancy/tenancy.service.js';
import { ENVIRONMENTS } from './domain/records.js';
import { PersonaService, type PersonaOptions } from './personas/persona.service.js';
import { SegmentService } from './personas/segments.service.js';
import { UserDataService } from './privacy/user-data.service.js';

export interface Services {
  tenancy: TenancyService;
  ingest: IngestService;
  records: RecordsService;
  metrics: Metrics;
  forgeKeys: ForgeKeyService;
  forgeIngest: ForgeIngestService;
  players: PlayersService;
  quests: QuestService;
  webhooks: WebhookWorker;
  playfab: PlayFabService;
  files: FileIngestionService;
  jobQueue: JobQueue;
  jobs: JobWorker;
  storageConnections: StorageConnectionService;
  segments: SegmentService;
  personas: PersonaService;
  userData: UserDataService;
}

export interface ServiceOptions {
  jobWorker?: JobWorkerOptions;
  personas?: PersonaOptions;
}

/** The composition root's service half: every service, wired explicitly; shared by the HTTP app and the CLI. */
export function buildServices(config: Config, store: Store, options: ServiceOptions = {}): Services {
  const metrics = new Metrics();
  const forgeKeys = new ForgeKeyService(store.db);
  const quests = new QuestService(store.db, store.capabilities.rowLocks);
  const playersRepo = new PlayersRepository(store.db);
  const ingest = new IngestService(store, config.maxBatchRecords, metrics);
  const jobQueue = new JobQueue(store.db, store.capabilities);
  const files = new FileIngestionService(store.db, ingest, jobQueue, {
    maxUploadBytes: config.maxUploadBytes,
  });
  const tenancy = new TenancyService(new TenancyRepository(store.db), (key) => forgeKeys.isForgeKey(key));
  // Segments and personas refer to each other: a new segment schedules its personas' computation.
  const segments = new SegmentService(store.db, tenancy, (dashboardId) => {
    for (const environment of ENVIRONMENTS) personas.scheduleRecompute(dashboardId, environment);
  });
  const personas = new PersonaService(store.db, tenancy, segments, options.personas);
  return {
    segments,
    personas,
    userData: new UserDataService(store.db, (dashboardId, environment) => {
      personas.scheduleRecompute(dashboardId, environment);
    }),
    files,
    jobQueue,
    storageConnections: new StorageConnectionService(
      store.db,
      tenancy,
      ingest,
      once(() => SecretBox.open(config.secretKey, config.dataDir)),
    ),
    jobs: new JobWorker(jobQueue, new Map([[CSV_INGESTION_JOB, files]]), options.jobWorker),
    metrics,
    tenancy,
    ingest,
    records: new RecordsService(new RecordsRepository(store.db)),
    forgeKeys,
    forgeIngest: new ForgeIngestService(store.db, playersRepo, quests, config.maxBatchRecords),
    players: new PlayersService(playersRepo, quests),
    quests,
    webhooks: new WebhookWorker(store.db),
    playfab: new PlayFabService(ingest, new PlayFabSettingsRepository(store.db), config.maxBatchRecords),
  };
}

/** A value made on first use, then kept. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
