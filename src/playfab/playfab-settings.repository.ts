import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';

/** The PlayFab statistics a dashboard names as the player's level. */
export class PlayFabSettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async levelStatistics(dashboardId: string): Promise<string[]> {
    const row = await this.db
      .selectFrom('dashboard_settings')
      .select('playfab_level_statistics')
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.playfab_level_statistics) as string[]) : [];
  }

  async setLevelStatistics(dashboardId: string, names: readonly string[], at: number): Promise<void> {
    const value = JSON.stringify(names);
    await this.db
      .insertInto('dashboard_settings')
      .values({ dashboard_id: dashboardId, playfab_level_statistics: value, updated_at: at })
      .onConflict((oc) =>
        oc.column('dashboard_id').doUpdateSet({ playfab_level_statistics: value, updated_at: at }),
      )
      .execute();
  }
}
