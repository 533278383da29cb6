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

export interface Database {
  dashboards: DashboardTable;
  api_keys: ApiKeyTable;
  players: PlayerTable;
  actions: ActionTable;
  logins: LoginTable;
  purchases: PurchaseTable;
  virtual_purchases: VirtualPurchaseTable;
  level_ups: LevelUpTable;
  social_dynamics: SocialDynamicTable;
  items: ItemTable;
  idempotency_keys: IdempotencyKeyTable;
  daily_counts: DailyCountTable;
}
