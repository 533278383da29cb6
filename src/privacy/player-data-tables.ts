/**
 * Every control-plane table holding a player's data, and how its rows name the player: by
 * `user_id` (text), or quoted in free text (`excerpt`: refused bodies). `DELETE /v1/userData`
 * deletes from each after the event store deleted its part (its own tables: see
 * `events/sql/delete-player.ts`). Adding a table is one line here; a test fails when a table of
 * the database with a `user_id` column (or a `player_id` beside a `dashboard_id`) is listed by
 * neither.
 */
export interface PlayerDataTable {
  table: string;
  key: 'user_id' | 'excerpt';
  /** `excerpt`: the text columns that may quote a player's id; rows quoting it are deleted. */
  textColumns?: readonly string[];
}

export const PLAYER_DATA_TABLES: readonly PlayerDataTable[] = [
  { table: 'trait_scores', key: 'user_id' },
  { table: 'survey_responses', key: 'user_id' },
  { table: 'survey_tokens', key: 'user_id' },
  { table: 'survey_participants', key: 'user_id' },
  { table: 'persona_members', key: 'user_id' },
  // The dashboard's reject log: error messages quote the refused body near the mistake.
  { table: 'ingest_rejects', key: 'excerpt', textColumns: ['message', 'errors'] },
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
