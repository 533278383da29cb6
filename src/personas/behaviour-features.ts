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

/**
 * One feature vector per player of the scope, from one SQL statement: each event table is
 * aggregated per player by the database (grouped scans), then joined to the players; only the
 * per-player totals reach JavaScript. Counts and money are log-scaled (heavy-tailed).
 */
export async function behaviourFeatures(
  db: Kysely<Database>,
  dashboardId: string,
  environment: string,
): Promise<Map<string, number[]>> {
  const scope = sql`dashboard_id = ${dashboardId} and environment = ${environment}`;
  const result = await sql<Aggregates>`
    select p.user_id, p.level as profile_level,
      l.n as logins, l.t0 as first_login, l.t1 as last_login,
      pu.s as spend, pu.n as purchases,
      vp.s as virtual_spend, vp.n as virtual_purchases,
      lu.m as max_level,
      sd.n as social, sd.t as social_targets,
      a.n as actions, a.k as action_kinds
    from players p
    left join (select player_id, count(*) as n, min(ts) as t0, max(ts) as t1 from logins where ${scope} group by player_id) l
      on l.player_id = p.id
    left join (select player_id, count(*) as n, sum(price) as s from purchases where ${scope} group by player_id) pu
      on pu.player_id = p.id
    left join (select player_id, count(*) as n, sum(virtual_price) as s from virtual_purchases where ${scope} group by player_id) vp
      on vp.player_id = p.id
    left join (select player_id, max(level) as m from level_ups where ${scope} group by player_id) lu
      on lu.player_id = p.id
    left join (select player_id, count(*) as n, count(distinct target_user_id) as t from social_dynamics where ${scope} group by player_id) sd
      on sd.player_id = p.id
    left join (select player_id, count(*) as n, count(distinct action_name) as k from actions where ${scope} group by player_id) a
      on a.player_id = p.id
    where p.dashboard_id = ${dashboardId} and p.environment = ${environment}`.execute(db);
  const features = new Map<string, number[]>();
  for (const row of result.rows) features.set(row.user_id, featureVector(row));
  return features;
}

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
