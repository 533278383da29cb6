import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';

/**
 * The behavioural features a persona is predicted from, in model order. Counts and money are per
 * day played (first to last event, plus the last day), so a veteran and a newcomer who play alike
 * look alike: totals grow with time in the game, which says nothing about the player's traits.
 * Days played is a feature of its own; ratios (per login, per interaction) need no normalising.
 */
export const FEATURE_NAMES = [
  'log_days_played',
  'log_logins_per_day',
  'log_spend_per_day',
  'log_purchases_per_day',
  'payer',
  'log_virtual_spend_per_day',
  'log_virtual_purchases_per_day',
  'log_levels_per_day',
  'log_social_per_day',
  'social_breadth',
  'log_actions_per_day',
  'log_action_kinds',
  'actions_per_login',
] as const;

interface Aggregates {
  user_id: string;
  profile_level: number | null;
  logins: number | null;
  spend: number | null;
  purchases: number | null;
  virtual_spend: number | null;
  virtual_purchases: number | null;
  max_level: number | null;
  social: number | null;
  social_targets: number | null;
  actions: number | null;
  action_kinds: number | null;
  /** Earliest and latest event of any table: the span the per-day rates divide by. */
  first_ts: number | null;
  last_ts: number | null;
}

const DAY_MS = 86_400_000;

/** Per-player aggregates of one event table: `select player_id, <aggregates> … group by player_id`. */
const AGGREGATES: readonly { table: string; columns: string; fields: (keyof Aggregates)[] }[] = [
  { table: 'logins', columns: 'count(*)', fields: ['logins'] },
  { table: 'purchases', columns: 'count(*), sum(price)', fields: ['purchases', 'spend'] },
  {
    table: 'virtual_purchases',
    columns: 'count(*), sum(virtual_price)',
    fields: ['virtual_purchases', 'virtual_spend'],
  },
  { table: 'level_ups', columns: 'max(level)', fields: ['max_level'] },
  {
    table: 'social_dynamics',
    columns: 'count(*), count(distinct target_user_id)',
    fields: ['social', 'social_targets'],
  },
  { table: 'actions', columns: 'count(*), count(distinct action_name)', fields: ['actions', 'action_kinds'] },
];
/** Every grouped scan also reads its table's time span (same scan, no extra statement). */
const SPAN = 'min(ts), max(ts)';

/**
 * One feature vector per player of the scope. Each event table is aggregated per player by the
 * database (one grouped scan each); only the per-player totals reach JavaScript, where they are
 * joined by player id. Separate statements rather than one join: a join of grouped subqueries
 * left to PostgreSQL's planner on tables not yet analysed took 30 s for 11,000 players (nested
 * loops over the aggregates); each grouped scan alone has one obvious plan. Counts and money are
 * log-scaled (heavy-tailed).
 */
export async function behaviourFeatures(
  db: Kysely<Database>,
  dashboardId: string,
  environment: string,
): Promise<Map<string, number[]>> {
  const players = await sql<{ id: number; user_id: string; level: number | null }>`
    select id, user_id, level from players where dashboard_id = ${dashboardId} and environment = ${environment}`.execute(
    db,
  );
  const byPlayer = new Map<number, Aggregates>();
  for (const p of players.rows) byPlayer.set(p.id, { ...EMPTY, user_id: p.user_id, profile_level: p.level });
  for (const { table, columns, fields } of AGGREGATES) {
    const aliased = `${columns}, ${SPAN}`
      .split(/,(?![^(]*\))/)
      .map((column, i) => `${column.trim()} as a${i}`)
      .join(', ');
    const result = await sql<Record<string, number | string | null>>`
      select player_id, ${sql.raw(aliased)} from ${sql.table(table)}
      where dashboard_id = ${dashboardId} and environment = ${environment} group by player_id`.execute(db);
    for (const row of result.rows) {
      const aggregates = byPlayer.get(Number(row.player_id));
      if (!aggregates) continue;
      fields.forEach((field, i) => {
        const value = row[`a${i}`];
        (aggregates as unknown as Record<string, number | null>)[field] =
          value === null || value === undefined ? null : Number(value);
      });
      const first = row[`a${fields.length}`];
      const last = row[`a${fields.length + 1}`];
      if (first !== null && first !== undefined)
        aggregates.first_ts = Math.min(aggregates.first_ts ?? Infinity, Number(first));
      if (last !== null && last !== undefined)
        aggregates.last_ts = Math.max(aggregates.last_ts ?? -Infinity, Number(last));
    }
  }
  const features = new Map<string, number[]>();
  for (const aggregates of byPlayer.values()) features.set(aggregates.user_id, featureVector(aggregates));
  return features;
}

const EMPTY: Omit<Aggregates, 'user_id' | 'profile_level'> = {
  logins: null,
  spend: null,
  purchases: null,
  virtual_spend: null,
  virtual_purchases: null,
  max_level: null,
  social: null,
  social_targets: null,
  actions: null,
  action_kinds: null,
  first_ts: null,
  last_ts: null,
};

const num = (value: number | string | null) => (value === null ? 0 : Number(value));

function featureVector(row: Aggregates): number[] {
  // Days played: first to last event, counting the last day (one session is one day).
  const days = row.first_ts !== null && row.last_ts !== null ? 1 + (row.last_ts - row.first_ts) / DAY_MS : 1;
  const perDay = (value: number | null) => Math.log1p(num(value) / days);
  const logins = num(row.logins);
  const level = Math.max(num(row.max_level), num(row.profile_level));
  const social = num(row.social);
  return [
    Math.log(days),
    perDay(logins),
    perDay(row.spend),
    perDay(row.purchases),
    num(row.purchases) > 0 ? 1 : 0,
    perDay(row.virtual_spend),
    perDay(row.virtual_purchases),
    perDay(level),
    perDay(social),
    social > 0 ? num(row.social_targets) / social : 0,
    perDay(row.actions),
    // Distinct action names saturate at what the game offers: not a per-day rate.
    Math.log1p(num(row.action_kinds)),
    num(row.actions) / Math.max(1, logins),
  ];
}

/** A player with no behavioural record at all (surveyed, never sent events). */
export const NO_BEHAVIOUR: readonly number[] = FEATURE_NAMES.map(() => 0);
