import type { Generated } from 'kysely';
import type { Environment } from '../domain/records.js';

/** Kysely's view of the schema built by `migrations/`. Times are epoch milliseconds. */
export interface DashboardTable {
  id: string;
  name: string;
  slug: string | null;
  created_at: number;
}

export interface ApiKeyTable {
  id: string;
  dashboard_id: string;
  environment: Environment;
  prefix: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ForgeKeyTable {
  id: string;
  partner: string;
  game: string;
  game_id: string;
  key_hash: string;
  daily_quota: number;
  created_at: number;
  revoked_at: number | null;
}
export interface ForgeUsageTable {
  key_id: string;
  day: string;
  count: number;
}
export interface ForgePlayerTable {
  id: string;
  email: string | null;
  created_at: number;
}
export interface ForgeIdentityTable {
  identity_key: string;
  player_id: string;
  created_at: number;
}
export interface ForgeSessionTable {
  id: Generated<number>;
  game_id: string;
  identity_key: string;
  started_at: number;
  ended_at: number;
  hours: number;
  record_id: string | null;
  received_at: number;
}
export interface ForgeAchievementTable {
  id: Generated<number>;
  game_id: string;
  identity_key: string;
  title: string;
  description: string | null;
  unlocked: number;
  unlock_time: number;
  record_id: string | null;
  received_at: number;
}
export interface ForgeQuestTable {
  id: string;
  game_id: string;
  type: string;
  target: number;
  achievement_title: string | null;
  starts_at: number;
  ends_at: number;
  reward_kind: string;
  reward_amount: number;
  created_at: number;
}
export interface ForgeProgressTable {
  player_id: string;
  quest_id: string;
  current: number;
  completed_at: number | null;
  updated_at: number;
}
export interface ForgeRewardTable {
  player_id: string;
  quest_id: string;
  kind: string;
  amount: number;
  granted_at: number;
}
export type WebhookScope = 'dashboard' | 'game';

/** Where a target's webhooks go: a dashboard's notifications, a Forge game's quest completions. */
export interface WebhookEndpointTable {
  scope: WebhookScope;
  /** The dashboard id or the Forge game id. */
  owner_id: string;
  /** The http(s) URL, sealed (SecretBox) when it carries credentials. */
  url: string;
  /** The sealed signing secret; null for endpoints set before deliveries were signed. */
  secret: string | null;
  created_at: number;
  updated_at: number;
}

export interface DashboardSettingsTable {
  dashboard_id: string;
  /** JSON array of PlayFab statistic names that are the player's level. */
  playfab_level_statistics: string;
  updated_at: number;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';
/** Durable background work, claimed with a lease (see `jobs/`). */
export interface JobTable {
  id: string;
  kind: string;
  /** JSON: what the job's handler needs. */
  payload: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  /** Not claimable before this time (backoff after a failure). */
  run_after: number;
  /** A running job whose lease has passed is claimable again (its worker died). */
  lease_until: number | null;
  lease_owner: string | null;
  /** JSON: the handler's progress, so a new attempt resumes. */
  checkpoint: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export type IngestionStatus = JobStatus;
/** A CSV upload and its progress. */
export interface IngestionTable {
  id: string;
  dashboard_id: string;
  environment: Environment;
  /** 'kpis' | 'survey_data' */
  kind: string;
  status: IngestionStatus;
  byte_size: number;
  rows_accepted: number;
  rows_rejected: number;
  /** JSON array of the first errors: `{line, field, message}`. */
  errors: string;
  job_id: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}
/** An upload's bytes, in order of `seq`. */
export interface UploadChunkTable {
  ingestion_id: string;
  seq: number;
  data: Uint8Array;
  /** Null for pieces stored before migration 0007. */
  created_at: number | null;
}

export interface StorageConnectionTable {
  id: string;
  dashboard_id: string;
  environment: string;
  provider: string;
  bucket: string | null;
  prefix: string | null;
  endpoint: string | null;
  region: string | null;
  path: string | null;
  /** JSON; never shown by the API. */
  credentials: string | null;
  schedule_minutes: number | null;
  created_at: number;
  last_sync_at: number | null;
  /** When the scheduler next syncs it (null: on demand only). */
  next_sync_at: number | null;
  status: ConnectionStatus;
  /** JSON of the last sync's outcome (see sources/sync-outcome.ts). */
  last_sync: string | null;
}

export type ConnectionStatus = 'never_synced' | 'ok' | 'errors' | 'unreachable';

export interface StorageFileTable {
  connection_id: string;
  key: string;
  etag: string;
  records: number;
  rejected: number;
  ingested_at: number;
}

/** A surveyed player's scores: JSON {category: {trait: 0–100}} (see survey/trait-catalogue.ts). */
/** Where a player's trait scores come from: this server's survey, or an import (0015). */
export type TraitScoreSource = 'survey' | 'imported';
export interface TraitScoreTable {
  dashboard_id: string;
  environment: Environment;
  user_id: string;
  scores: string;
  /** The survey's completion, or the import's time. */
  completed_at: number;
  source: Generated<TraitScoreSource>;
}

export type SurveyStatus = 'requested' | 'partial' | 'disqualified' | 'completed';

/** One row per registered player: where they are in the survey and how it ended. */
export interface SurveyParticipantTable {
  dashboard_id: string;
  environment: Environment;
  user_id: string;
  status: SurveyStatus;
  /** 0-based page the player is on. */
  page: number;
  /** The current page's form nonce, issued when the page became current. */
  page_nonce: string | null;
  page_shown_at: number | null;
  rushed_pages: number;
  disqualified_reason: string | null;
  registered_at: number;
  updated_at: number;
  completed_at: number | null;
  /** When the player agreed on the first page; null until then. */
  consented_at: number | null;
  /** 1 when the page just answered was rushed: the next page says so. */
  warn_rushed: Generated<number>;
  /** Careless-responding indices, set at completion (survey/careless.ts). */
  long_string: number | null;
  even_odd: number | null;
  mahalanobis: number | null;
  /** The signals raised, comma-separated ('' for none); null before completion. */
  careless_signals: string | null;
}

/** A survey link's token, stored as its SHA-256 only. */
export interface SurveyTokenTable {
  token_hash: string;
  dashboard_id: string;
  environment: Environment;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface SurveyResponseTable {
  dashboard_id: string;
  environment: Environment;
  user_id: string;
  item_id: string;
  value: number;
  answered_at: number;
}

/** A person who signs in to one dashboard's web pages (operators use the admin token instead). */
export interface DashboardMemberTable {
  id: string;
  dashboard_id: string;
  /** Lower-cased; unique across dashboards, so an address names one account. */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (see dashboard/password.ts). */
  password_hash: string;
  created_at: number;
}
/** A signed-in browser. The cookie holds the session id; only its SHA-256 is stored. */
export interface DashboardSessionTable {
  id_hash: string;
  /** null: the operator (signed in with the admin token). */
  member_id: string | null;
  /** Operator sessions: the SHA-256 of the admin token they signed in with (a new token ends them). */
  operator_token_hash: string | null;
  /** The synchronizer token every form of this session must send back. */
  csrf_token: string;
  created_at: number;
  expires_at: number;
}
/** Failed sign-ins per key (`ip:…`, `email:…`) in the current window. */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: number;
}
/** A refused push (bounded per dashboard and environment): what the sender was told. */
export interface IngestRejectTable {
  id: Generated<number>;
  dashboard_id: string;
  environment: Environment;
  record_type: string;
  status: number;
  message: string;
  /** JSON array of the first field errors `{index, field, message}`. */
  errors: string;
  created_at: number;
}

/** A custom segment: `filter` is JSON (see personas/segment-filter.ts). */
export interface SegmentTable {
  id: string;
  dashboard_id: string;
  name: string;
  filter: string;
  created_at: number;
}
/** The last persona recompute of a segment in one environment. */
export interface PersonaRunTable {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
  /** JSON: the recompute's summary (k, sizes, accuracy), as the admin API answers it. */
  summary: string;
  /** The highest persona number ever given in this segment: new clusters get the next ones. */
  last_number: number;
  computed_at: number;
}
export interface PersonaTable {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
  persona: number;
  /** JSON array: the centroid in trait units (0–100), over TRAIT_VECTOR order. */
  centroid: string;
  /** JSON {category: {trait: mean}} over the persona's surveyed members. */
  trait_means: string;
  surveyed: number;
  predicted: number;
}
export type PersonaSource = 'surveyed' | 'predicted';
export interface PersonaMemberTable {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
  user_id: string;
  persona: number;
  source: PersonaSource;
  /** JSON {"<persona>": probability} of a surveyed member (the mixture's posterior); null when predicted. */
  probabilities: string | null;
}

/** The last time a player's data was deleted in a scope (see privacy/). */
export interface UserDataDeletionTable {
  dashboard_id: string;
  environment: Environment;
  deleted_at: number;
}

/** Insights rollups (0018): one row per player and active UTC day (days since 1970-01-01). */
export interface InsightPlayerDayTable {
  dashboard_id: string;
  environment: Environment;
  day: number;
  player_id: number;
  /** Records of any type timestamped that day. */
  records: number;
  logins: number;
  purchases: number;
  /** Sum of the real-money purchases' price. */
  revenue: number;
  max_level: number | null;
}
/** Per player and day: `kpi:<kpi_id>` values and `currency:<code>` virtual spend (sum and count). */
export interface InsightPlayerValueTable {
  dashboard_id: string;
  environment: Environment;
  day: number;
  player_id: number;
  name: string;
  total: number;
  n: number;
}
/** Per player: first active day, register date's day, and the install day (the earlier). */
export interface InsightPlayerTable {
  dashboard_id: string;
  environment: Environment;
  player_id: number;
  user_id: string;
  first_day: number;
  register_day: number | null;
  install_day: number;
}
/** A custom segment's user ids as of the last insights refresh. */
export interface InsightSegmentMemberTable {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
  user_id: string;
}
/** The last event id of one table folded into a scope's rollups. */
export interface InsightWatermarkTable {
  dashboard_id: string;
  environment: Environment;
  source: string;
  last_id: number;
  updated_at: number;
}

/**
 * Insights aggregates (0021, 0022): per segment, the persona run (`persona_runs.computed_at`, -1
 * for none) its persona rows were built with. The aggregate tables themselves are written by
 * src/insights/figure-rollups.ts and read in SQL by the insights repositories.
 */
export interface InsightFigureStampTable {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
  persona_run: number;
}

export interface Database {
  dashboard_members: DashboardMemberTable;
  dashboard_sessions: DashboardSessionTable;
  login_throttle: LoginThrottleTable;
  ingest_rejects: IngestRejectTable;
  user_data_deletions: UserDataDeletionTable;
  segments: SegmentTable;
  insight_player_days: InsightPlayerDayTable;
  insight_player_values: InsightPlayerValueTable;
  insight_players: InsightPlayerTable;
  insight_segment_members: InsightSegmentMemberTable;
  insight_watermarks: InsightWatermarkTable;
  insight_figure_stamps: InsightFigureStampTable;
  persona_runs: PersonaRunTable;
  personas: PersonaTable;
  persona_members: PersonaMemberTable;
  jobs: JobTable;
  ingestions: IngestionTable;
  upload_chunks: UploadChunkTable;
  dashboards: DashboardTable;
  api_keys: ApiKeyTable;
  dashboard_settings: DashboardSettingsTable;
  forge_keys: ForgeKeyTable;
  forge_usage: ForgeUsageTable;
  forge_players: ForgePlayerTable;
  forge_identities: ForgeIdentityTable;
  forge_sessions: ForgeSessionTable;
  forge_achievements: ForgeAchievementTable;
  forge_quests: ForgeQuestTable;
  forge_progress: ForgeProgressTable;
  forge_rewards: ForgeRewardTable;
  webhook_endpoints: WebhookEndpointTable;
  storage_connections: StorageConnectionTable;
  storage_files: StorageFileTable;
  trait_scores: TraitScoreTable;
  survey_participants: SurveyParticipantTable;
  survey_tokens: SurveyTokenTable;
  survey_responses: SurveyResponseTable;
}
