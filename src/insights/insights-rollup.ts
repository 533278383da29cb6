import { sql, type Kysely } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { ActivityCursor, ActivityDelta, InsightsEventReads } from '../events/insights-reads.js';
import type { Database } from '../store/database.js';
import { DEFAULT_SEGMENT } from '../personas/segments.service.js';
import type { Scope } from './audience.js';
import { dayNumber } from './days.js';
import { clearFigures, collectContributions, FigureDelta } from './figure-rollups.js';

/**
 * The watermark row every refresh and every deletion of a scope updates first: refreshes of one
 * scope (several worker processes) and deletions serialize on it, and a refresh whose events were
 * read before a deletion committed finds it changed and writes nothing (see `refresh`).
 */
const GENERATION = '*generation';
/** Rows per multi-row upsert (parameters stay under SQLite's and PostgreSQL's limits). */
const UPSERT_CHUNK = 300;
/** User ids per membership lookup. */
const USER_CHUNK = 2_000;
/** `insight_figure_stamps.persona_run` of a segment without a persona run. */
const NO_RUN = -1;

export interface RefreshResult {
  /** Player-days touched (added to or created). */
  playerDays: number;
  /** Whether another refresh or a deletion of the scope ran meanwhile (this one wrote nothing). */
  superseded: boolean;
}

/**
 * Keeps the insights rollups of a scope up to date from the events stored since its watermarks:
 * additive and exact (each record is folded once), so late events simply add to their own day.
 * Runs off the ingest path (the worker's periodic task, or on demand).
 */
export class InsightsRollup {
  constructor(
    private readonly db: Kysely<Database>,
    /** Absent when the event store does not answer insights reads (every store of this version does). */
    private readonly events: InsightsEventReads | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Folds every record stored so far into the scope's rollups, step by step. */
  async refresh(dashboardId: string, environment: Environment): Promise<RefreshResult> {
    const events = this.events;
    if (!events) return { playerDays: 0, superseded: false };
    const target = await events.activityCursor(dashboardId, environment);
    const scope = { dashboardId, environment };
    for (const segmentId of await this.segmentsOf(scope)) await this.current(scope, segmentId, true);
    let playerDays = 0;
    // A backlog (more than one step to fold: a first refresh, a worker back after a pause) would
    // re-key most players at every step: its steps leave the aggregates to one rebuild at the end.
    let backlog = false;
    const short = (of: ActivityCursor, to: ActivityCursor) =>
      Object.entries(to).some(([source, last]) => last > (of[source] ?? 0));
    for (;;) {
      const { cursor, generation } = await this.watermarks(dashboardId, environment);
      if (!short(cursor, target)) break;
      const upTo = await events.nextStep(dashboardId, environment, cursor, target);
      backlog ||= short(upTo, target);
      const delta = await events.playerDayActivity(dashboardId, environment, cursor, upTo);
      const written = await this.fold(
        events,
        dashboardId,
        environment,
        generation,
        cursor,
        upTo,
        delta,
        !backlog,
      );
      if (written === undefined) return { playerDays, superseded: true };
      playerDays += written;
    }
    if (backlog)
      for (const segmentId of await this.segmentsOf(scope)) await this.current(scope, segmentId, true);
    return { playerDays, superseded: false };
  }

  /**
   * First statement of a player's deletion (in its transaction): a refresh holding that player's
   * events in memory is superseded, and one writing now commits before the deletion's deletes.
   */
  async deletionStarted(
    trx: Kysely<Database>,
    dashboardId: string,
    environment: Environment,
    userId: string,
  ): Promise<void> {
    await this.bumpGeneration(trx, dashboardId, environment);
    // The player leaves every aggregate before their rows go (the deletion's deletes).
    const players = await trx
      .selectFrom('insight_players')
      .select('player_id')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('user_id', '=', userId)
      .execute();
    const delta = new FigureDelta();
    const scope = { dashboardId, environment };
    await collectContributions(trx, scope, delta, -1, { players: players.map((p) => p.player_id) });
    await delta.write(trx, scope);
  }

  /**
   * Makes a segment's aggregates usable: built at all (a scope or segment new since migration
   * 0021 is built from its player-days) and, when `personas`, built with the segment's current
   * memberships: the persona run stamped must be the segment's last (a recompute moves players
   * between personas), or the segment is rebuilt, in one transaction holding the generation row.
   * Memberships change only with a run, but for deleted players, whose contributions the deletion
   * took away. `persona=all` needs only the first: each player is in exactly one persona row of a
   * segment, whichever it is. The persona recompute calls this itself once it has written.
   */
  async current(scope: Scope, segmentId: string, personas: boolean): Promise<void> {
    const stale = async (db: Kysely<Database>) => {
      const stamp = await this.stamp(db, scope, segmentId);
      if (stamp !== undefined && !personas) return undefined;
      const now = await this.personaRun(db, scope, segmentId);
      return stamp?.persona_run === now.persona_run ? undefined : now;
    };
    if ((await stale(this.db)) === undefined) return;
    await this.db.transaction().execute(async (trx) => {
      await this.bumpGeneration(trx, scope.dashboardId, scope.environment);
      // Read again behind the generation row: another process may have rebuilt it meanwhile.
      const now = await stale(trx);
      if (now === undefined) return;
      await clearFigures(trx, scope, { only: segmentId });
      const delta = new FigureDelta();
      await collectContributions(trx, scope, delta, 1, { segmentId });
      await delta.write(trx, scope);
      await trx
        .insertInto('insight_figure_stamps')
        .values({
          dashboard_id: scope.dashboardId,
          environment: scope.environment,
          segment_id: segmentId,
          ...now,
        })
        .onConflict((oc) => oc.columns(['dashboard_id', 'environment', 'segment_id']).doUpdateSet(now))
        .execute();
    });
  }

  /**
   * After a persona recompute: the segments whose aggregates are kept are rebuilt for the new
   * memberships at once, so that no persona answer waits for it (seconds per 100,000 players).
   */
  async personasRecomputed(scope: Scope, segmentIds: readonly string[]): Promise<void> {
    const kept = await this.db
      .selectFrom('insight_figure_stamps')
      .select('segment_id')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .execute();
    const stamped = new Set(kept.map((k) => k.segment_id));
    for (const segmentId of segmentIds)
      if (stamped.has(segmentId)) await this.current(scope, segmentId, true);
  }

  /**
   * Replaces a custom segment's members (its filter evaluated now): the players who left take
   * their contributions away from the segment's aggregates, those who joined add theirs.
   */
  async replaceSegmentMembers(scope: Scope, segmentId: string, userIds: readonly string[]): Promise<void> {
    const where = { dashboard_id: scope.dashboardId, environment: scope.environment, segment_id: segmentId };
    await this.db.transaction().execute(async (trx) => {
      await this.bumpGeneration(trx, scope.dashboardId, scope.environment);
      const old = new Set(
        (
          await trx
            .selectFrom('insight_segment_members')
            .select('user_id')
            .where('dashboard_id', '=', where.dashboard_id)
            .where('environment', '=', where.environment)
            .where('segment_id', '=', segmentId)
            .execute()
        ).map((r) => r.user_id),
      );
      const now = new Set(userIds);
      const left = [...old].filter((id) => !now.has(id));
      const joined = userIds.filter((id) => !old.has(id));
      const delta = new FigureDelta();
      await this.forPlayers(trx, scope, left, (players) =>
        collectContributions(trx, scope, delta, -1, { players, segmentId }),
      );
      for (let i = 0; i < left.length; i += 500)
        await trx
          .deleteFrom('insight_segment_members')
          .where('dashboard_id', '=', where.dashboard_id)
          .where('environment', '=', where.environment)
          .where('segment_id', '=', segmentId)
          .where('user_id', 'in', left.slice(i, i + 500))
          .execute();
      for (let i = 0; i < joined.length; i += 500)
        await trx
          .insertInto('insight_segment_members')
          .values(joined.slice(i, i + 500).map((user_id) => ({ ...where, user_id })))
          .execute();
      await this.forPlayers(trx, scope, joined, (players) =>
        collectContributions(trx, scope, delta, 1, { players, segmentId }),
      );
      await delta.write(trx, scope);
    });
  }

  /** A deleted segment's members and aggregates go (every segment but those named). */
  async dropSegments(scope: Scope, keep: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.bumpGeneration(trx, scope.dashboardId, scope.environment);
      await clearFigures(trx, scope, { except: keep });
      for (const table of ['insight_segment_members', 'insight_figure_stamps'] as const)
        await trx
          .deleteFrom(table)
          .where('dashboard_id', '=', scope.dashboardId)
          .where('environment', '=', scope.environment)
          .where('segment_id', 'not in', keep)
          .execute();
    });
  }

  /** Runs `work` on the interned ids of these users, a chunk at a time (unknown users skipped). */
  private async forPlayers(
    trx: Kysely<Database>,
    scope: Scope,
    userIds: readonly string[],
    work: (players: number[]) => Promise<void>,
  ): Promise<void> {
    for (let i = 0; i < userIds.length; i += USER_CHUNK) {
      const rows = await trx
        .selectFrom('insight_players')
        .select('player_id')
        .where('dashboard_id', '=', scope.dashboardId)
        .where('environment', '=', scope.environment)
        .where('user_id', 'in', userIds.slice(i, i + USER_CHUNK))
        .execute();
      if (rows.length > 0) await work(rows.map((r) => r.player_id));
    }
  }

  /** The segments whose aggregates the scope keeps: `default` and the custom ones snapshotted. */
  private async segmentsOf(scope: Scope): Promise<string[]> {
    const rows = await this.db
      .selectFrom('insight_segment_members')
      .select('segment_id')
      .distinct()
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .execute();
    return [DEFAULT_SEGMENT.id, ...rows.map((r) => r.segment_id)];
  }

  private async stamp(db: Kysely<Database>, scope: Scope, segmentId: string) {
    return db
      .selectFrom('insight_figure_stamps')
      .select('persona_run')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('segment_id', '=', segmentId)
      .executeTakeFirst();
  }

  /** The segment's last persona run: what a stamp is compared with. */
  private async personaRun(db: Kysely<Database>, scope: Scope, segmentId: string) {
    const run = await db
      .selectFrom('persona_runs')
      .select('computed_at')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('segment_id', '=', segmentId)
      .executeTakeFirst();
    return { persona_run: run?.computed_at ?? NO_RUN };
  }

  /**
   * After a deletion's deletes: no watermark may stay past the highest id left in its table
   * (SQLite gives the next record the id of a deleted last row). Ids past it hold no rows, so
   * moving a watermark back there folds nothing twice.
   */
  async rowsDeleted(trx: Kysely<Database>): Promise<void> {
    if (!this.events) return;
    const highest = await this.events.highestStored(trx);
    for (const [source, last] of Object.entries(highest)) {
      await trx
        .updateTable('insight_watermarks')
        .set({ last_id: last })
        .where('source', '=', source)
        .where('last_id', '>', last)
        .execute();
    }
  }

  private async watermarks(dashboardId: string, environment: Environment) {
    const rows = await this.db
      .selectFrom('insight_watermarks')
      .select(['source', 'last_id'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .execute();
    const cursor: Record<string, number> = {};
    let generation = 0;
    for (const r of rows) {
      if (r.source === GENERATION) generation = r.last_id;
      else cursor[r.source] = r.last_id;
    }
    return { cursor: cursor as ActivityCursor, generation };
  }

  private async bumpGeneration(trx: Kysely<Database>, dashboardId: string, environment: Environment) {
    await trx
      .insertInto('insight_watermarks')
      .values({
        dashboard_id: dashboardId,
        environment,
        source: GENERATION,
        last_id: 1,
        updated_at: this.now(),
      })
      .onConflict((oc) =>
        oc.columns(['dashboard_id', 'environment', 'source']).doUpdateSet({
          last_id: sql`insight_watermarks.last_id + 1`,
          updated_at: this.now(),
        }),
      )
      .execute();
  }

  /**
   * Writes one step in one transaction: the generation check-and-bump first (a concurrent
   * refresh or deletion makes it fail: nothing is written and undefined returned), then the
   * watermarks, the player-days, the named values and the players' install days.
   */
  private async fold(
    events: InsightsEventReads,
    dashboardId: string,
    environment: Environment,
    generation: number,
    from: ActivityCursor,
    upTo: ActivityCursor,
    delta: ActivityDelta,
    /** False in a backlog: the scope's stamps go instead, and the aggregates are rebuilt after. */
    rekey: boolean,
  ): Promise<number | undefined> {
    const profiles = new Map(delta.players.map((p) => [p.playerId, p]));
    const scope = { dashboard_id: dashboardId, environment };
    return this.db
      .transaction()
      .execute(async (trx) => {
        const claimed =
          generation === 0
            ? await trx
                .insertInto('insight_watermarks')
                .values({ ...scope, source: GENERATION, last_id: 1, updated_at: this.now() })
                .onConflict((oc) => oc.doNothing())
                .executeTakeFirst()
                .then((r) => Number(r.numInsertedOrUpdatedRows ?? 0n))
            : await trx
                .updateTable('insight_watermarks')
                .set({ last_id: generation + 1, updated_at: this.now() })
                .where('dashboard_id', '=', dashboardId)
                .where('environment', '=', environment)
                .where('source', '=', GENERATION)
                .where('last_id', '=', generation)
                .executeTakeFirst()
                .then((r) => Number(r.numUpdatedRows));
        if (claimed !== 1) throw new Superseded();
        // A deletion between the cursor and now may have freed the top ids (SQLite reuses them).
        const highest = await events.highestStored(trx);
        for (const [source, last] of Object.entries(upTo)) {
          if (last <= (from[source] ?? 0)) continue;
          const id = Math.min(last, highest[source] ?? last);
          await trx
            .insertInto('insight_watermarks')
            .values({ ...scope, source, last_id: id, updated_at: this.now() })
            .onConflict((oc) =>
              oc
                .columns(['dashboard_id', 'environment', 'source'])
                .doUpdateSet({ last_id: id, updated_at: this.now() }),
            )
            .execute();
        }
        // Records of players deleted since (their events gone) must not come back as rollups.
        const live = delta.days.filter((d) => profiles.has(d.playerId));
        // The touched players' contributions to the aggregates are taken away here and added
        // back, from their updated rows, at the end (figure-rollups.ts).
        const touched = { players: [...new Set(live.map((d) => d.playerId))] };
        const figures = new FigureDelta();
        const figureScope = { dashboardId, environment };
        if (rekey) await collectContributions(trx, figureScope, figures, -1, touched);
        else
          await trx
            .deleteFrom('insight_figure_stamps')
            .where('dashboard_id', '=', dashboardId)
            .where('environment', '=', environment)
            .execute();
        for (let i = 0; i < live.length; i += UPSERT_CHUNK) {
          const rows = live.slice(i, i + UPSERT_CHUNK).map((d) => ({
            ...scope,
            day: d.day,
            player_id: d.playerId,
            records: d.records,
            logins: d.logins,
            purchases: d.purchases,
            revenue: d.revenue,
            max_level: d.maxLevel,
          }));
          await trx
            .insertInto('insight_player_days')
            .values(rows)
            .onConflict((oc) =>
              oc.columns(['dashboard_id', 'environment', 'day', 'player_id']).doUpdateSet({
                records: sql`insight_player_days.records + excluded.records`,
                logins: sql`insight_player_days.logins + excluded.logins`,
                purchases: sql`insight_player_days.purchases + excluded.purchases`,
                revenue: sql`insight_player_days.revenue + excluded.revenue`,
                max_level: sql`case when insight_player_days.max_level is null or excluded.max_level > insight_player_days.max_level
                  then excluded.max_level else insight_player_days.max_level end`,
              }),
            )
            .execute();
        }
        const values = delta.values.filter((v) => profiles.has(v.playerId));
        for (let i = 0; i < values.length; i += UPSERT_CHUNK) {
          await trx
            .insertInto('insight_player_values')
            .values(
              values.slice(i, i + UPSERT_CHUNK).map((v) => ({
                ...scope,
                day: v.day,
                player_id: v.playerId,
                name: v.name,
                total: v.total,
                n: v.n,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['dashboard_id', 'environment', 'day', 'player_id', 'name']).doUpdateSet({
                total: sql`insight_player_values.total + excluded.total`,
                n: sql`insight_player_values.n + excluded.n`,
              }),
            )
            .execute();
        }
        await this.foldPlayers(trx, dashboardId, environment, live, profiles);
        if (rekey) {
          await collectContributions(trx, figureScope, figures, 1, touched);
          await figures.write(trx, figureScope);
        }
        return live.length;
      })
      .catch((error: unknown) => {
        if (error instanceof Superseded) return undefined;
        throw error;
      });
  }

  /** Install day = the earlier of the first active day and the register date's day. */
  private async foldPlayers(
    trx: Kysely<Database>,
    dashboardId: string,
    environment: Environment,
    days: readonly { playerId: number; day: number }[],
    profiles: ReadonlyMap<number, { userId: string; registerDate: string | null }>,
  ): Promise<void> {
    const firstDay = new Map<number, number>();
    for (const d of days) firstDay.set(d.playerId, Math.min(firstDay.get(d.playerId) ?? Infinity, d.day));
    const ids = [...firstDay.keys()];
    for (let i = 0; i < ids.length; i += UPSERT_CHUNK) {
      const chunk = ids.slice(i, i + UPSERT_CHUNK);
      const existing = new Map(
        (
          await trx
            .selectFrom('insight_players')
            .select(['player_id', 'first_day'])
            .where('dashboard_id', '=', dashboardId)
            .where('environment', '=', environment)
            .where('player_id', 'in', chunk)
            .execute()
        ).map((r) => [r.player_id, r.first_day]),
      );
      const rows = chunk.map((playerId) => {
        const profile = profiles.get(playerId)!;
        const first = Math.min(firstDay.get(playerId)!, existing.get(playerId) ?? Infinity);
        const register = profile.registerDate === null ? null : dayNumber(profile.registerDate);
        return {
          dashboard_id: dashboardId,
          environment,
          player_id: playerId,
          user_id: profile.userId,
          first_day: first,
          register_day: register,
          install_day: register === null ? first : Math.min(first, register),
        };
      });
      await trx
        .insertInto('insight_players')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['dashboard_id', 'environment', 'player_id']).doUpdateSet({
            first_day: sql`excluded.first_day`,
            register_day: sql`excluded.register_day`,
            install_day: sql`excluded.install_day`,
          }),
        )
        .execute();
    }
  }
}

class Superseded extends Error {}
