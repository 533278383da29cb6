import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';

/** The behavioural features a persona is predicted from, in model order. */
export const FEATURE_NAMES = [
  'log_logins',
  'log_spend',
  'log_purchases',
  'payer',
  'log_virtual_spend',
  'log_virtual_purchases',
  'level',
  'level_pace',
  'log_social',
  'log_social_targets',
  'log_actions',
  'action_kinds',
  'actions_per_login',
] as const;

interface Aggregates {
  user_id: string;
  profile_level: number | null;
  logins: number | null;
  first_login: number | null;
  last_login: number | null;
  spend: number | null;
  purchases: number | null;
  virtual_spend: number | null;
  virtual_purchases: number | null;
  max_level: number | null;
  social: number | null;
  social_targets: number | null;
  actions: number | null;
  action_kinds: number | null;
}

const DAY_MS = 86_400_000;

/** Per-player aggregates of one event table: `select player_id, <aggregates> … group by player_id`. */
const AGGREGATES: readonly { table: string; columns: string; fields: (keyof Aggregates)[] }[] = [
  { table: 'logins', columns: 'count(*), min(ts), max(ts)', fields: ['logins', 'first_login', 'last_login'] },
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
    const aliased = columns
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
    }
  }
  const features = new Map<string, number[]>();
  for (const aggregates of byPlayer.values()) features.set(aggregates.user_id, featureVector(aggregates));
  return features;
}

const EMPTY: Omit<Aggregates, 'user_id' | 'profile_level'> = {
  logins: null,
  first_login: null,
  last_login: null,
  spend: null,
  purchases: null,
  virtual_spend: null,
  virtual_purchases: null,
  max_level: null,
  social: null,
  social_targets: null,
  actions: null,
  action_kinds: null,
};

const num = (value: number | string | null) => (value === null ? 0 : Number(value));

function featureVector(row: Aggregates): number[] {
  const logins = num(row.logins);
  const level = Math.max(num(row.max_level), num(row.profile_level));
  const days =
    row.first_login !== null && row.last_login !== null
      ? (num(row.last_login) - num(row.first_login)) / DAY_MS
      : 0;
  const actions = num(row.actions);
  return [
    Math.log1p(logins),
    Math.log1p(num(row.spend)),
    Math.log1p(num(row.purchases)),
    num(row.purchases) > 0 ? 1 : 0,
    Math.log1p(num(row.virtual_spend)),
    Math.log1p(num(row.virtual_purchases)),
    level,
    level / (days + 1),
    Math.log1p(num(row.social)),
    Math.log1p(num(row.social_targets)),
    Math.log1p(actions),
    num(row.action_kinds),
    actions / Math.max(1, logins),
  ];
}

/** A player with no behavioural record at all (surveyed, never sent events). */
export const NO_BEHAVIOUR: readonly number[] = FEATURE_NAMES.map(() => 0);
