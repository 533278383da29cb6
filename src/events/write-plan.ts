import { utcDay } from '../domain/timestamp.js';
import type { NormalizedRow } from './normalize.js';
import { playerHash } from '../privacy/player-hash.js';
import type { WriteBatch } from './event-store.js';

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

/**
 * A batch's logins as rounds of profile updates, each round holding at most one update per user
 * (one upsert statement), to be applied in order with `profileMergeSql`. Unlike the single fold
 * of `profileUpdates`, this is exact when the stored profile is newer than some logins of the
 * batch: each field takes the value of the latest login carrying it, and that value's own time
 * decides against the stored profile. A user gets one round per distinct time among "latest
 * login carrying field f" for each profile field, plus the batch's latest login: usually one.
 */
export function profileRounds(rows: readonly NormalizedRow[]): ProfileUpdate[][] {
  const byUser = new Map<string, { latest: number; fields: { at: number; value: string | number }[] }>();
  for (const row of rows) {
    if (row.userId === null) continue;
    const user = byUser.get(row.userId) ?? { latest: row.ts, fields: [] };
    user.latest = Math.max(user.latest, row.ts);
    PROFILE_COLUMNS.forEach((_, i) => {
      const value = row.values[i] ?? null;
      const field = user.fields[i];
      // Ties go to the later record of the batch, as sequential sending would have it.
      if (value !== null && (field === undefined || row.ts >= field.at))
        user.fields[i] = { at: row.ts, value };
    });
    byUser.set(row.userId, user);
  }
  const rounds: ProfileUpdate[][] = [];
  for (const userId of [...byUser.keys()].sort()) {
    const { latest, fields } = byUser.get(userId)!;
    const times = [...new Set([...fields.filter(Boolean).map((f) => f.at), latest])].sort((a, b) => a - b);
    times.forEach((at, round) => {
      const values = PROFILE_COLUMNS.map((_, i) => {
        const field = fields[i];
        return field?.at === at ? field.value : null;
      });
      (rounds[round] ??= []).push({ userId, loginAt: at, values });
    });
  }
  return rounds;
}

/**
 * The rows of a deduplicated batch to write: those without a key, and the first row of each
 * key this transaction managed to record (`recorded`); a key stored before skips its rows.
 */
export function keepNewRows(batch: WriteBatch, recorded: ReadonlySet<string>): WriteBatch {
  if (!batch.dedupe) return batch;
  const keys = batch.dedupe.keys;
  const taken = new Set<string>();
  const rows = batch.rows.filter((_, i) => {
    const key = keys[i] ?? null;
    if (key === null) return true;
    if (!recorded.has(key) || taken.has(key)) return false;
    taken.add(key);
    return true;
  });
  return { ...batch, rows };
}

/** The distinct keys of a deduplicated batch, to record. */
export function dedupeKeys(batch: WriteBatch): string[] {
  return [...new Set((batch.dedupe?.keys ?? []).filter((k): k is string => k !== null))];
}

/**
 * The player each dedupe key belongs to (the first row carrying it), recorded with the key so
 * that deleting a player's data also removes the keys their events left.
 */
export function dedupeOwners(batch: WriteBatch): Map<string, string | null> {
  const owners = new Map<string, string | null>();
  batch.dedupe?.keys.forEach((key, i) => {
    if (key !== null && !owners.has(key)) owners.set(key, batch.rows[i]?.userId ?? null);
  });
  return owners;
}

/**
 * The earliest time a record of the batch entered the system: deletions after it may concern the
 * batch (`deleted_players` is searched from here on); none do as a rule.
 */
export function earliestEntry(batch: WriteBatch): number {
  const at = batch.entered?.at ?? batch.receivedAt;
  if (!batch.entered?.byEventTime) return at;
  let earliest = at;
  for (const row of batch.rows) if (row.ts < earliest) earliest = row.ts;
  return earliest;
}

/**
 * The batch without the rows of players deleted after those rows entered the system (and without
 * their dedupe keys: a key names its player). `deletions` maps a player's hash to the time of
 * their deletion: the markers of the batch's scope newer than `earliestEntry`, usually none.
 */
export function withoutDeletedPlayers(
  batch: WriteBatch,
  deletions: ReadonlyMap<string, number>,
): { batch: WriteBatch; withheld: number } {
  if (deletions.size === 0 || !batch.def.userScoped) return { batch, withheld: 0 };
  const at = batch.entered?.at ?? batch.receivedAt;
  const byEventTime = batch.entered?.byEventTime === true;
  const hashes = new Map<string, string>();
  const keep = batch.rows.map((row) => {
    const userId = row.userId!;
    let hash = hashes.get(userId);
    if (hash === undefined) hashes.set(userId, (hash = playerHash(userId)));
    const deletedAt = deletions.get(hash);
    return deletedAt === undefined || deletedAt <= (byEventTime ? Math.min(row.ts, at) : at);
  });
  const rows = batch.rows.filter((_, i) => keep[i]);
  if (rows.length === batch.rows.length) return { batch, withheld: 0 };
  const dedupe = batch.dedupe && {
    source: batch.dedupe.source,
    keys: batch.dedupe.keys.filter((_, i) => keep[i]),
  };
  return {
    batch: { ...batch, rows, ...(dedupe ? { dedupe } : {}) },
    withheld: batch.rows.length - rows.length,
  };
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

/** The players a group of batches names, per dashboard and environment. */
export interface ScopeUsers {
  dashboardId: string;
  environment: string;
  /** User id → the earliest arrival among the group's batches naming it (its `first_seen_at`). */
  firstSeen: Map<string, number>;
}

export function scopeKey(batch: { dashboardId: string; environment: string }): string {
  return `${batch.dashboardId}\u0000${batch.environment}`;
}

/** Users of the group's user-scoped batches, grouped by scope. */
export function usersByScope(batches: readonly WriteBatch[]): Map<string, ScopeUsers> {
  const scopes = new Map<string, ScopeUsers>();
  for (const batch of batches) {
    if (!batch.def.userScoped) continue;
    const key = scopeKey(batch);
    let scope = scopes.get(key);
    if (!scope) {
      scope = { dashboardId: batch.dashboardId, environment: batch.environment, firstSeen: new Map() };
      scopes.set(key, scope);
    }
    const seen = scope.firstSeen;
    for (const row of batch.rows) {
      if (row.userId === null) continue;
      const at = seen.get(row.userId);
      if (at === undefined || batch.receivedAt < at) seen.set(row.userId, batch.receivedAt);
    }
  }
  return scopes;
}

/** Ascending code-unit order, the order concurrent writers lock players and counters in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DailyCount {
  dashboardId: string;
  environment: string;
  recordType: string;
  day: string;
  count: number;
}

/** The group's `daily_counts` increments, one per counter, in key order (the lock order). */
export function dailyCounts(batches: readonly WriteBatch[]): DailyCount[] {
  const counts = new Map<string, DailyCount>();
  for (const batch of batches) {
    const day = utcDay(batch.receivedAt);
    const key = [batch.dashboardId, batch.environment, batch.def.type, day].join('\u0000');
    const entry = counts.get(key);
    if (entry) entry.count += batch.rows.length;
    else
      counts.set(key, {
        dashboardId: batch.dashboardId,
        environment: batch.environment,
        recordType: batch.def.type,
        day,
        count: batch.rows.length,
      });
  }
  return [...counts.entries()].sort(([a], [b]) => compareText(a, b)).map(([, count]) => count);
}
