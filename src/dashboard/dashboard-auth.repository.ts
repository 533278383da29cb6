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

  /** Failures counted for each key in the window that started after `since`. */
  async failures(keys: readonly string[], since: number): Promise<number> {
    const rows = await this.db
      .selectFrom('login_throttle')
      .select(['failures'])
      .where('key', 'in', keys)
      .where('window_started_at', '>', since)
      .execute();
    return Math.max(0, ...rows.map((r) => r.failures));
  }

  /** One more failure per key; a window older than `since` starts again at 1. */
  async recordFailure(keys: readonly string[], now: number, since: number): Promise<void> {
    // Counters of windows that have passed count for nothing: the table holds recent failures only.
    await this.db.deleteFrom('login_throttle').where('window_started_at', '<=', since).execute();
    for (const key of keys) {
      await this.db
        .insertInto('login_throttle')
        .values({ key, failures: 1, window_started_at: now })
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
        .execute();
    }
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }
}
