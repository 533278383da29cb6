import type { Kysely } from 'kysely';
import type { Database, DashboardMemberTable, DashboardSessionTable } from '../store/database.js';

export interface SessionRow {
  member_id: string | null;
  operator_token_hash: string | null;
  csrf_token: string;
  expires_at: number;
  dashboard_id: string | null;
  email: string | null;
}

/** SQL for dashboard members, sessions and the sign-in throttle. */
export class DashboardAuthRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the e-mail is taken (the unique constraint decides). */
  async insertMember(member: DashboardMemberTable): Promise<boolean> {
    const result = await this.db
      .insertInto('dashboard_members')
      .values(member)
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  listMembers(dashboardId: string): Promise<Omit<DashboardMemberTable, 'password_hash'>[]> {
    return this.db
      .selectFrom('dashboard_members')
      .select(['id', 'dashboard_id', 'email', 'created_at'])
      .where('dashboard_id', '=', dashboardId)
      .orderBy('email')
      .execute();
  }

  findMemberByEmail(email: string): Promise<DashboardMemberTable | undefined> {
    return this.db.selectFrom('dashboard_members').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** Removes the member and signs out their browsers; false when there was no such member. */
  async deleteMember(dashboardId: string, memberId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('dashboard_members')
        .where('dashboard_id', '=', dashboardId)
        .where('id', '=', memberId)
        .executeTakeFirst();
      await trx.deleteFrom('dashboard_sessions').where('member_id', '=', memberId).execute();
      return result.numDeletedRows > 0n;
    });
  }

  async insertSession(session: DashboardSessionTable, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Expired sessions go when someone signs in: the table holds only live ones and their stragglers.
      await trx.deleteFrom('dashboard_sessions').where('expires_at', '<=', now).execute();
      await trx.insertInto('dashboard_sessions').values(session).execute();
    });
  }

  findSession(idHash: string, now: number): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('dashboard_sessions as s')
      .leftJoin('dashboard_members as m', 'm.id', 's.member_id')
      .select([
        's.member_id',
        's.operator_token_hash',
        's.csrf_token',
        's.expires_at',
        'm.dashboard_id',
        'm.email',
      ])
      .where('s.id_hash', '=', idHash)
      .where('s.expires_at', '>', now)
      .executeTakeFirst();
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).execute();
  }

  /**
   * Reserves one sign-in attempt for each key and returns each key's attempts in its window,
   * this one included, with the window's start. One upsert: concurrent attempts, from any server
   * process, each see a different count, so a burst cannot all pass a check made before any of
   * them is counted. A window that started at or before `since` starts again at 1.
   */
  reserveAttempt(
    keys: readonly string[],
    now: number,
    since: number,
  ): Promise<{ key: string; failures: number; window_started_at: number }[]> {
    return this.db
      .insertInto('login_throttle')
      .values(keys.map((key) => ({ key, failures: 1, window_started_at: now })))
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          failures: eb
            .case()
            .when('login_throttle.window_started_at', '>', since)
            .then(eb('login_throttle.failures', '+', 1))
            .else(1)
            .end(),
          window_started_at: eb
            .case()
            .when('login_throttle.window_started_at', '>', since)
            .then(eb.ref('login_throttle.window_started_at'))
            .else(now)
            .end(),
        })),
      )
      .returning(['key', 'failures', 'window_started_at'])
      .execute();
  }

  /** Gives back a reserved attempt that turned out not to be a failure. */
  async releaseAttempt(key: string): Promise<void> {
    await this.db
      .updateTable('login_throttle')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  /** Counters of windows that have passed count for nothing: the table holds recent attempts only. */
  async sweep(since: number): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('window_started_at', '<=', since).execute();
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }
}
