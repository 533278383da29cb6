import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { Selectable } from 'kysely';
import type { Database, IngestRejectTable } from '../store/database.js';

/** SQL for the bounded log of refused pushes. */
export class RejectsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds a reject and drops what lies beyond the newest `keep` of its dashboard and environment. */
  async insert(row: Omit<IngestRejectTable, 'id'>, keep: number): Promise<void> {
    await this.db.insertInto('ingest_rejects').values(row).execute();
    const cutoff = await this.db
      .selectFrom('ingest_rejects')
      .select('id')
      .where('dashboard_id', '=', row.dashboard_id)
      .where('environment', '=', row.environment)
      .orderBy('id', 'desc')
      .offset(keep)
      .limit(1)
      .executeTakeFirst();
    if (cutoff) {
      await this.db
        .deleteFrom('ingest_rejects')
        .where('dashboard_id', '=', row.dashboard_id)
        .where('environment', '=', row.environment)
        .where('id', '<=', cutoff.id)
        .execute();
    }
  }

  list(
    dashboardId: string,
    environment: Environment,
    limit: number,
  ): Promise<Selectable<IngestRejectTable>[]> {
    return this.db
      .selectFrom('ingest_rejects')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}
