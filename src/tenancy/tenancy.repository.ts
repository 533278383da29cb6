import type { Kysely } from 'kysely';
import type { ApiKeyTable, Database, DashboardTable } from '../store/database.js';

/** A unique-constraint violation, on PostgreSQL (23505) or SQLite. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** SQL for dashboards and their API keys. */
export class TenancyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when a concurrent request took the slug first (the unique constraint decides). */
  async createDashboard(dashboard: DashboardTable, keys: ApiKeyTable[]): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('dashboards').values(dashboard).execute();
        await trx.insertInto('api_keys').values(keys).execute();
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  findDashboard(id: string): Promise<DashboardTable | undefined> {
    return this.db.selectFrom('dashboards').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findDashboardBySlug(slug: string): Promise<DashboardTable | undefined> {
    return this.db.selectFrom('dashboards').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  listDashboards(): Promise<DashboardTable[]> {
    return this.db.selectFrom('dashboards').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async insertKey(key: ApiKeyTable): Promise<void> {
    await this.db.insertInto('api_keys').values(key).execute();
  }

  listKeys(dashboardId: string): Promise<Omit<ApiKeyTable, 'key_hash'>[]> {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'dashboard_id', 'environment', 'prefix', 'created_at', 'revoked_at'])
      .where('dashboard_id', '=', dashboardId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Marks a key revoked; false when the dashboard has no such live key. */
  async revokeKey(dashboardId: string, keyId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('dashboard_id', '=', dashboardId)
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  findKeyByHash(
    hash: string,
  ): Promise<
    Pick<ApiKeyTable, 'id' | 'dashboard_id' | 'environment' | 'key_hash' | 'revoked_at'> | undefined
  > {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'dashboard_id', 'environment', 'key_hash', 'revoked_at'])
      .where('key_hash', '=', hash)
      .executeTakeFirst();
  }

  keyExists(dashboardId: string, keyId: string): Promise<{ id: string } | undefined> {
    return this.db
      .selectFrom('api_keys')
      .select('id')
      .where('dashboard_id', '=', dashboardId)
      .where('id', '=', keyId)
      .executeTakeFirst();
  }
}
