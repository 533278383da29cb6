import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { utcDay } from '../../domain/timestamp.js';
import type { EventScope, IdPage, SegmentCriteria } from '../event-store.js';
import type { EventDatabase } from './schema.js';

/**
 * The user ids of a scope's players matching the criteria, evaluated in SQL over `players` (the
 * login profile) and the players' real-money spend (one grouped scan of `purchases`, joined only
 * when a condition needs it); with `page`, one page of them in user id order.
 */
export async function segmentMembers(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
  criteria: SegmentCriteria,
  page?: IdPage,
): Promise<string[]> {
  const needsSpend =
    criteria.payer !== undefined || criteria.spendMin !== undefined || criteria.spendMax !== undefined;
  const spend = db
    .selectFrom('purchases')
    .select(['player_id', sql<number>`sum(price)`.as('spend')])
    .where('dashboard_id', '=', dashboardId)
    .where('environment', '=', environment)
    .groupBy('player_id')
    .as('s');
  let query = db
    .selectFrom('players as p')
    .select('p.user_id')
    .where('p.dashboard_id', '=', dashboardId)
    .where('p.environment', '=', environment);
  const conditions: Expression<SqlBool>[] = [];
  const { countries, platforms, languages } = criteria;
  if (countries) conditions.push(sql<SqlBool>`upper(p.country) in (${sql.join(countries)})`);
  if (platforms) conditions.push(sql<SqlBool>`lower(p.platform) in (${sql.join(platforms)})`);
  if (languages) {
    const alternatives = languages.map(
      (tag) => sql<SqlBool>`(lower(p.language) = ${tag} or lower(p.language) like ${`${tag}-%`})`,
    );
    conditions.push(sql<SqlBool>`(${sql.join(alternatives, sql` or `)})`);
  }
  if (criteria.levelMin !== undefined) conditions.push(sql<SqlBool>`p.level >= ${criteria.levelMin}`);
  if (criteria.levelMax !== undefined) conditions.push(sql<SqlBool>`p.level <= ${criteria.levelMax}`);
  if (criteria.payer === true) conditions.push(sql<SqlBool>`s.player_id is not null`);
  if (criteria.payer === false) conditions.push(sql<SqlBool>`s.player_id is null`);
  if (criteria.spendMin !== undefined)
    conditions.push(sql<SqlBool>`coalesce(s.spend, 0) >= ${criteria.spendMin}`);
  if (criteria.spendMax !== undefined)
    conditions.push(sql<SqlBool>`coalesce(s.spend, 0) <= ${criteria.spendMax}`);
  if (criteria.lastLoginFrom !== undefined)
    conditions.push(sql<SqlBool>`p.last_login_at >= ${criteria.lastLoginFrom}`);
  if (criteria.registeredFrom !== undefined) {
    // register_date is stored as YYYY-MM-DD text: compared as text with the time's UTC day.
    const day = utcDay(criteria.registeredFrom);
    conditions.push(
      sql<SqlBool>`(p.register_date >= ${day} or (p.register_date is null and p.first_seen_at >= ${criteria.registeredFrom}))`,
    );
  }
  if (needsSpend) query = query.leftJoin(spend, 's.player_id', 'p.id');
  for (const condition of conditions) query = query.where(condition);
  if (page) {
    if (page.after !== undefined) query = query.where('p.user_id', '>', page.after);
    query = query.orderBy('p.user_id').limit(page.limit);
  }
  const rows = await query.execute();
  return rows.map((r) => r.user_id);
}
