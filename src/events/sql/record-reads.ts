import { sql, type Kysely } from 'kysely';
import { ALL_RECORD_TYPES, type Environment, type RecordTypeDef } from '../../domain/records.js';
import type {
  DailyCount,
  EventScope,
  RecordPage,
  RecordQuery,
  StoredCount,
  StoredRecord,
  TypeTotal,
} from '../event-store.js';
import type { EventDatabase } from './schema.js';

/** `RecordPage.next` on SQL: the last record's event time and row id (the listing's order). */
function encodeCursor(ts: number, id: number): string {
  return `${ts}.${id}`;
}

function decodeCursor(cursor: string): { ts: number; id: number } | undefined {
  const match = /^(-?\d{1,16})\.(\d{1,16})$/.exec(cursor);
  return match ? { ts: Number(match[1]), id: Number(match[2]) } : undefined;
}

/** Stored records of one type, newest first, keyset-paged on (ts, id). */
export async function listRecords(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
  def: RecordTypeDef,
  query: RecordQuery,
): Promise<RecordPage> {
  const columns = sql.join(def.columns.map((c) => sql.ref(`e.${c.name}`)));
  const table = sql.table(def.type);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // A cursor this store did not make lists nothing rather than everything again.
  if (query.cursor !== undefined && after === undefined) return { records: [] };
  const page =
    after === undefined
      ? sql``
      : sql`and (e.ts < ${after.ts} or (e.ts = ${after.ts} and e.id < ${after.id}))`;
  const rows = def.userScoped
    ? await sql<StoredRecord & { id: number }>`
        select e.id, e.ts, e.extra, p.user_id, ${columns} from ${table} e
        join players p on p.id = e.player_id
        where e.dashboard_id = ${dashboardId} and e.environment = ${environment}
        ${query.userId === undefined ? sql`` : sql`and p.user_id = ${query.userId}`} ${page}
        order by e.ts desc, e.id desc limit ${query.limit}`.execute(db)
    : await sql<StoredRecord & { id: number }>`
        select e.id, e.ts, e.extra, ${columns} from ${table} e
        where e.dashboard_id = ${dashboardId} and e.environment = ${environment} ${page}
        order by e.ts desc, e.id desc limit ${query.limit}`.execute(db);
  const records = rows.rows.map((row) => {
    const record: StoredRecord = { ...row };
    delete record.id;
    return record;
  });
  const last = rows.rows[rows.rows.length - 1];
  return last !== undefined && rows.rows.length === query.limit
    ? { records, next: encodeCursor(last.ts, last.id) }
    : { records };
}

/** Stored rows per record type and environment (one grouped count per table). */
export async function storedCounts(db: Kysely<EventDatabase>, dashboardId: string): Promise<StoredCount[]> {
  const parts = ALL_RECORD_TYPES.map(
    (type) =>
      sql`select ${type} as type, environment, count(*) as count from ${sql.table(type)}
          where dashboard_id = ${dashboardId} group by environment`,
  );
  const result = await sql<{ type: string; environment: Environment; count: number | string }>`${sql.join(
    parts,
    sql` union all `,
  )}`.execute(db);
  return result.rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** The `daily_counts` rollup from a day on: newest day first, then environment and type. */
export async function dailyCounts(
  db: Kysely<EventDatabase>,
  dashboardId: string,
  { environment, sinceDay }: { environment?: Environment; sinceDay: string },
): Promise<DailyCount[]> {
  let query = db
    .selectFrom('daily_counts')
    .select(['day', 'environment', 'record_type', 'count'])
    .where('dashboard_id', '=', dashboardId)
    .where('day', '>=', sinceDay);
  if (environment !== undefined) query = query.where('environment', '=', environment);
  const rows = await query.orderBy('day', 'desc').orderBy('environment').orderBy('record_type').execute();
  return rows.map((r) => ({
    day: r.day,
    environment: r.environment,
    type: r.record_type,
    count: r.count,
  }));
}

/** All-time records per type of one scope, summed from the rollup. */
export async function totals(
  db: Kysely<EventDatabase>,
  { dashboardId, environment }: EventScope,
): Promise<TypeTotal[]> {
  const rows = await db
    .selectFrom('daily_counts')
    .select((eb) => ['record_type', eb.fn.sum<number | string>('count').as('count')])
    .where('dashboard_id', '=', dashboardId)
    .where('environment', '=', environment)
    .groupBy('record_type')
    .orderBy('record_type')
    .execute();
  return rows.map((r) => ({ type: r.record_type, count: Number(r.count) }));
}
