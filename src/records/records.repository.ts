import { sql, type Kysely } from 'kysely';
import type { Environment, RecordTypeDef } from '../domain/records.js';
import { ALL_RECORD_TYPES } from '../domain/records.js';
import type { Database } from '../store/database.js';

export type StoredRow = Record<string, unknown> & { ts: number; extra: string | null; user_id?: string };

/** Reads stored records back, always scoped to one dashboard and environment. */
export class RecordsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(
    dashboardId: string,
    environment: Environment,
    def: RecordTypeDef,
    userId: string | undefined,
    limit: number,
  ): Promise<StoredRow[]> {
    const columns = sql.join(def.columns.map((c) => sql.ref(`e.${c.name}`)));
    const table = sql.table(def.type);
    if (!def.userScoped) {
      const result = await sql<StoredRow>`
        select e.ts, e.extra, ${columns} from ${table} e
        where e.dashboard_id = ${dashboardId} and e.environment = ${environment}
        order by e.ts desc, e.id desc limit ${limit}`.execute(this.db);
      return result.rows;
    }
    const byUser = userId === undefined ? sql`` : sql`and p.user_id = ${userId}`;
    const result = await sql<StoredRow>`
      select e.ts, e.extra, p.user_id, ${columns} from ${table} e
      join players p on p.id = e.player_id
      where e.dashboard_id = ${dashboardId} and e.environment = ${environment} ${byUser}
      order by e.ts desc, e.id desc limit ${limit}`.execute(this.db);
    return result.rows;
  }

  /** Stored rows per record type and environment. */
  async counts(dashboardId: string): Promise<{ type: string; environment: Environment; count: number }[]> {
    const parts = ALL_RECORD_TYPES.map(
      (type) =>
        sql`select ${type} as type, environment, count(*) as count from ${sql.table(type)}
            where dashboard_id = ${dashboardId} group by environment`,
    );
    const result = await sql<{ type: string; environment: Environment; count: number | string }>`${sql.join(
      parts,
      sql` union all `,
    )}`.execute(this.db);
    return result.rows.map((r) => ({ ...r, count: Number(r.count) }));
  }

  /** Records received per UTC day, newest day first. */
  daily(dashboardId: string, sinceDay: string) {
    return this.db
      .selectFrom('daily_counts')
      .select(['day', 'environment', 'record_type', 'count'])
      .where('dashboard_id', '=', dashboardId)
      .where('day', '>=', sinceDay)
      .orderBy('day', 'desc')
      .orderBy('environment')
      .orderBy('record_type')
      .execute();
  }

  /** One environment's records per UTC day and type since a day, oldest first (the rollup, not events). */
  dailyOf(dashboardId: string, environment: Environment, sinceDay: string) {
    return this.db
      .selectFrom('daily_counts')
      .select(['day', 'record_type', 'count'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('day', '>=', sinceDay)
      .orderBy('day')
      .orderBy('record_type')
      .execute();
  }

  /** All-time records per type of one environment, summed from the rollup. */
  async totalsOf(dashboardId: string, environment: Environment): Promise<{ type: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('daily_counts')
      .select((eb) => ['record_type', eb.fn.sum<number | string>('count').as('count')])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .groupBy('record_type')
      .orderBy('record_type')
      .execute();
    return rows.map((r) => ({ type: r.record_type, count: Number(r.count) }));
  }
}
