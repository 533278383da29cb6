import type { Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { Database } from '../store/database.js';

/** The SQL of imported trait scores: `trait_scores` rows with `source = 'imported'`. */
export class TraitImportRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Stores the players' scores in one transaction, except over a completed survey's: returns the
   * user ids kept as surveyed. The conditional upsert holds the rule even against a survey
   * completing meanwhile.
   */
  async write(
    dashboardId: string,
    environment: Environment,
    players: readonly { userId: string; scores: string }[],
    importedAt: number,
  ): Promise<{ imported: number; surveyed: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const surveyed = (
        await trx
          .selectFrom('trait_scores')
          .select('user_id')
          .where('dashboard_id', '=', dashboardId)
          .where('environment', '=', environment)
          .where('source', '=', 'survey')
          .where(
            'user_id',
            'in',
            players.map((p) => p.userId),
          )
          .execute()
      ).map((r) => r.user_id);
      const skip = new Set(surveyed);
      const rows = players
        .filter((p) => !skip.has(p.userId))
        .map((p) => ({
          dashboard_id: dashboardId,
          environment,
          user_id: p.userId,
          scores: p.scores,
          completed_at: importedAt,
          source: 'imported' as const,
        }));
      if (rows.length > 0)
        await trx
          .insertInto('trait_scores')
          .values(rows)
          .onConflict((oc) =>
            oc
              .columns(['dashboard_id', 'environment', 'user_id'])
              .doUpdateSet((eb) => ({
                scores: eb.ref('excluded.scores'),
                completed_at: eb.ref('excluded.completed_at'),
              }))
              .where('trait_scores.source', '=', 'imported'),
          )
          .execute();
      return { imported: rows.length, surveyed };
    });
  }
}
