import type { Generated } from 'kysely';
import type { Environment } from '../../domain/records.js';

/*
 * The event tables, typed for the SQL event store only. The control plane's `Database`
 * (store/database.ts) does not list them, so no query outside `src/events/` can name them.
 * Their migrations stay in `store/migrations` (frozen, ordered with the rest).
 */

/** One row per user id per dashboard and environment: interns user ids and holds the login profile. */
export interface PlayerTable {
  id: Generated<number>;
  dashboard_id: string;
  environment: Environment;
  user_id: string;
  first_seen_at: number;
  last_login_at: number | null;
  clan_id: string | null;
  level: number | null;
  device: string | null;
  country: string | null;
  platform: string | null;
  language: string | null;
  register_date: string | null;
}

interface EventColumns {
  id: Generated<number>;
  dashboard_id: string;
  environment: Environment;
  player_id: number;
  ts: number;
  received_at: number;
  extra: string | null;
}

export interface ActionTable extends EventColumns {
  action_id: string;
  action_name: string;
  action_params: string | null;
}

export interface LoginTable extends EventColumns {
  clan_id: string | null;
  level: number | null;
  device: string | null;
  country: string | null;
  platform: string | null;
  language: string | null;
  register_date: string | null;
  last_login_timestamp: number | null;
}

export interface PurchaseTable extends EventColumns {
  item_id: string;
  count: number;
  price: number;
  platform: string | null;
}

export interface VirtualPurchaseTable extends EventColumns {
  item_id: string;
  count: number;
  virtual_price: number;
  currency: string;
}

export interface LevelUpTable extends EventColumns {
  level: number;
}

export interface SocialDynamicTable extends EventColumns {
  target_user_id: string;
  connection: string | null;
  interaction: string;
  interaction_params: string | null;
}

export interface ItemTable {
  id: Generated<number>;
  dashboard_id: string;
  environment: Environment;
  item_id: string;
  ts: number;
  received_at: number;
  price: number;
  currency: string;
  name: string;
  type: string | null;
  extra: string | null;
}

export interface IdempotencyKeyTable {
  dashboard_id: string;
  environment: Environment;
  key: string;
  request_hash: string;
  response: string;
  created_at: number;
}

/** Records received per dashboard, environment, type and UTC day (of arrival). */
export interface DailyCountTable {
  dashboard_id: string;
  environment: Environment;
  record_type: string;
  day: string;
  count: number;
}

export interface IngestDedupeTable {
  dashboard_id: string;
  environment: Environment;
  source: string;
  key: string;
  created_at: number;
  /** The player whose record carried the key (null for keys recorded before 0009-personas). */
  user_id: string | null;
}

export interface KpiTable extends EventColumns {
  register_date: string | null;
  churn_date: string | null;
  kpi_id: string;
  value: number;
}

export interface SurveyAnswerTable extends EventColumns {
  question_id: string;
  value: string;
}

/** A player deleted in a scope (`user_hash`: SHA-256 of the user id) and when: see 0012-deletion. */
export interface DeletedPlayerTable {
  dashboard_id: string;
  environment: Environment;
  user_hash: string;
  deleted_at: number;
}

export interface EventTables {
  players: PlayerTable;
  actions: ActionTable;
  logins: LoginTable;
  purchases: PurchaseTable;
  virtual_purchases: VirtualPurchaseTable;
  level_ups: LevelUpTable;
  social_dynamics: SocialDynamicTable;
  items: ItemTable;
  kpis: KpiTable;
  survey_answers: SurveyAnswerTable;
  idempotency_keys: IdempotencyKeyTable;
  daily_counts: DailyCountTable;
  ingest_dedupe: IngestDedupeTable;
  deleted_players: DeletedPlayerTable;
}

/** What the SQL event store queries: its own tables (it reads no control-plane table). */
export type EventDatabase = EventTables;
