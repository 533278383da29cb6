/**
 * Every table holding a player's data, and how its rows name the player: by `user_id` (text) or
 * by the interned `player_id` of `players`. `DELETE /v1/userData` deletes from each, in this
 * order (`players` last: the others are found through it). Adding a table is one line here; a
 * test fails when a table of the database with a `user_id` column (or a `player_id` beside a
 * `dashboard_id`) is missing from this list.
 *
 * `dailyCounts`: the table's rows are counted in `daily_counts` under this record type, which
 * the deletion decrements so the per-day figures stay right.
 */
export interface PlayerDataTable {
  table: string;
  key: 'user_id' | 'player_id';
  dailyCounts?: string;
}

export const PLAYER_DATA_TABLES: readonly PlayerDataTable[] = [
  { table: 'actions', key: 'player_id', dailyCounts: 'actions' },
  { table: 'logins', key: 'player_id', dailyCounts: 'logins' },
  { table: 'purchases', key: 'player_id', dailyCounts: 'purchases' },
  { table: 'virtual_purchases', key: 'player_id', dailyCounts: 'virtual_purchases' },
  { table: 'level_ups', key: 'player_id', dailyCounts: 'level_ups' },
  { table: 'social_dynamics', key: 'player_id', dailyCounts: 'social_dynamics' },
  { table: 'kpis', key: 'player_id', dailyCounts: 'kpis' },
  { table: 'survey_answers', key: 'player_id', dailyCounts: 'survey_answers' },
  { table: 'ingest_dedupe', key: 'user_id' },
  { table: 'trait_scores', key: 'user_id' },
  { table: 'survey_responses', key: 'user_id' },
  { table: 'survey_tokens', key: 'user_id' },
  { table: 'survey_participants', key: 'user_id' },
  { table: 'persona_members', key: 'user_id' },
  { table: 'players', key: 'user_id' },
];

/**
 * Tables with a `user_id` or `player_id` column that hold no 12traits player's data, and why:
 * the Forge tables' `player_id` names a Forge platform account (ply_…), which the Forge admin
 * API manages; it is not a 12traits user id.
 */
export const NOT_PLAYER_DATA: ReadonlySet<string> = new Set([
  'forge_identities',
  'forge_progress',
  'forge_rewards',
]);
