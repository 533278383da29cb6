/**
 * Every table holding a player's data, and how its rows name the player: by `user_id` (text), by
 * the interned `player_id` of `players`, or quoted in free text (`excerpt`: refused bodies).
 * `DELETE /v1/userData` deletes from each, in this order (`players` last: the others are found
 * through it). Adding a table is one line here; a test fails when a table of the database with a
 * `user_id` column (or a `player_id` beside a `dashboard_id`) is missing from this list.
 *
 * `dailyCounts`: the table's rows are counted in `daily_counts` under this record type, which
 * the deletion decrements so the per-day figures stay right.
 */
export interface PlayerDataTable {
  table: string;
  key: 'user_id' | 'player_id' | 'excerpt';
  /** `excerpt`: the text columns that may quote a player's id; rows quoting it are deleted. */
  textColumns?: readonly string[];
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
  // Insights rollups (src/insights): a deleted player leaves every figure.
  { table: 'insight_player_days', key: 'player_id' },
  { table: 'insight_player_values', key: 'player_id' },
  { table: 'insight_players', key: 'player_id' },
  { table: 'insight_segment_members', key: 'user_id' },
  // The dashboard's reject log: error messages quote the refused body near the mistake.
  { table: 'ingest_rejects', key: 'excerpt', textColumns: ['message', 'errors'] },
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

/**
 * Whether a text quotes the user id: as sent, or as it reads inside a JSON string. By design it
 * errs towards deleting: an excerpt that merely contains the id goes too.
 */
export function mentionsPlayer(text: string, userId: string): boolean {
  if (userId === '') return false;
  return text.includes(userId) || text.includes(JSON.stringify(userId).slice(1, -1));
}
