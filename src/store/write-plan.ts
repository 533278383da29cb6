import type { NormalizedRow } from '../ingest/normalize.js';
import type { WriteBatch } from './store.js';

/** Profile columns a login updates on the player, in the order of the login type's columns. */
export const PROFILE_COLUMNS = [
  'clan_id',
  'level',
  'device',
  'country',
  'platform',
  'language',
  'register_date',
] as const;

export interface ProfileUpdate {
  userId: string;
  /** The login's event time: the profile's "as of". */
  loginAt: number;
  values: (string | number | null)[];
}

/** Distinct user ids of a batch, sorted so concurrent writers lock players in one order. */
export function distinctUsers(rows: readonly NormalizedRow[]): string[] {
  const users = new Set<string>();
  for (const row of rows) if (row.userId !== null) users.add(row.userId);
  return [...users].sort();
}

/**
 * Folds a batch's logins into one profile update per user: the latest login's fields win,
 * and older logins fill only the fields the latest did not carry.
 */
export function profileUpdates(rows: readonly NormalizedRow[]): ProfileUpdate[] {
  const byUser = new Map<string, ProfileUpdate>();
  const ordered = [...rows].sort((a, b) => a.ts - b.ts);
  for (const row of ordered) {
    if (row.userId === null) continue;
    const values = PROFILE_COLUMNS.map((_, i) => row.values[i] ?? null);
    const prev = byUser.get(row.userId);
    byUser.set(row.userId, {
      userId: row.userId,
      loginAt: row.ts,
      values: prev ? values.map((v, i) => v ?? prev.values[i] ?? null) : values,
    });
  }
  return [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** Items upsert by item_id: within one batch the last occurrence wins. */
export function lastItemPerId(rows: readonly NormalizedRow[]): NormalizedRow[] {
  const byId = new Map<string, NormalizedRow>();
  for (const row of rows) byId.set(String(row.values[0]), row);
  return [...byId.values()];
}

/**
 * The SET clause that merges a login profile into an existing player: newer logins win
 * field by field; an older login only fills fields still empty.
 */
export function profileMergeSql(): string {
  const newer = 'players.last_login_at IS NULL OR excluded.last_login_at >= players.last_login_at';
  const fields = PROFILE_COLUMNS.map(
    (c) =>
      `${c} = CASE WHEN ${newer} THEN COALESCE(excluded.${c}, players.${c}) ELSE COALESCE(players.${c}, excluded.${c}) END`,
  );
  return [
    ...fields,
    `last_login_at = CASE WHEN ${newer} THEN excluded.last_login_at ELSE players.last_login_at END`,
  ].join(', ');
}

export function eventColumns(batch: WriteBatch): string[] {
  return batch.def.userScoped
    ? [
        'dashboard_id',
        'environment',
        'player_id',
        'ts',
        'received_at',
        ...batch.def.columns.map((c) => c.name),
        'extra',
      ]
    : ['dashboard_id', 'environment', 'ts', 'received_at', ...batch.def.columns.map((c) => c.name), 'extra'];
}

/** The SET clause of the items upsert: every column takes the incoming value. */
export function itemUpdateSql(batch: WriteBatch): string {
  return [
    'ts',
    'received_at',
    ...batch.def.columns.map((c) => c.name).filter((c) => c !== 'item_id'),
    'extra',
  ]
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
}

/** Rows as they are laid out in `eventColumns` (player ids already resolved). */
export function eventValues(
  batch: WriteBatch,
  row: NormalizedRow,
  playerId: number | undefined,
): (string | number | null)[] {
  const head: (string | number)[] =
    playerId === undefined
      ? [batch.dashboardId, batch.environment, row.ts, batch.receivedAt]
      : [batch.dashboardId, batch.environment, playerId, row.ts, batch.receivedAt];
  return [...head, ...row.values, row.extra];
}
