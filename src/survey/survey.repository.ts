import type { Kysely, Selectable } from 'kysely';
import type { Environment } from '../domain/records.js';
import type { Database, SurveyParticipantTable, SurveyStatus, SurveyTokenTable } from '../store/database.js';

/** The tenant a survey row belongs to. */
export interface SurveyScope {
  dashboardId: string;
  environment: Environment;
}

export type Participant = Selectable<SurveyParticipantTable>;

/** A participant's state after a page: where to go, and how the survey stands. */
export interface ParticipantUpdate {
  status: SurveyStatus;
  page: number;
  pageNonce: string | null;
  pageShownAt: number | null;
  rushedPages: number;
  disqualifiedReason: string | null;
  completedAt: number | null;
  /** The page just answered was rushed: warn on the next one. */
  warnRushed: boolean;
  /** The careless-responding indices, on completion or disqualification at the end. */
  quality?: ParticipantQuality;
  now: number;
}

/** The careless-responding indices stored per participant (survey/careless.ts). */
export interface ParticipantQuality {
  longString: number;
  evenOdd: number | null;
  mahalanobis: number | null;
  signals: readonly string[];
}
export type SurveyToken = Selectable<SurveyTokenTable>;

/** A participant as the dashboard lists it, with the quality indices of a finished survey. */
export type ParticipantSummary = Pick<
  Participant,
  | 'user_id'
  | 'status'
  | 'registered_at'
  | 'completed_at'
  | 'disqualified_reason'
  | 'rushed_pages'
  | 'long_string'
  | 'even_odd'
  | 'mahalanobis'
  | 'careless_signals'
>;

/** The survey's SQL. Knows no rules: the service decides, this reads and writes. */
export class SurveyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `work` in one transaction with a repository bound to it. */
  transaction<T>(work: (repo: SurveyRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new SurveyRepository(trx)));
  }

  findParticipant(scope: SurveyScope, userId: string): Promise<Participant | undefined> {
    return this.db
      .selectFrom('survey_participants')
      .selectAll()
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** A new participant on page 0; an existing one is left as it is. */
  async addParticipant(scope: SurveyScope, userId: string, now: number): Promise<void> {
    await this.db
      .insertInto('survey_participants')
      .values({
        dashboard_id: scope.dashboardId,
        environment: scope.environment,
        user_id: userId,
        status: 'requested',
        page: 0,
        page_nonce: null,
        page_shown_at: null,
        rushed_pages: 0,
        disqualified_reason: null,
        registered_at: now,
        updated_at: now,
        completed_at: null,
        consented_at: null,
        long_string: null,
        even_odd: null,
        mahalanobis: null,
        careless_signals: null,
      })
      .onConflict((oc) => oc.columns(['dashboard_id', 'environment', 'user_id']).doNothing())
      .execute();
  }

  async addToken(token: SurveyToken): Promise<void> {
    await this.db.insertInto('survey_tokens').values(token).execute();
  }

  /** Tokens of the player that expired before `now`: nothing can use them any more. */
  async deleteExpiredTokens(scope: SurveyScope, userId: string, now: number): Promise<void> {
    await this.db
      .deleteFrom('survey_tokens')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .where('expires_at', '<', now)
      .execute();
  }

  findToken(tokenHash: string): Promise<SurveyToken | undefined> {
    return this.db
      .selectFrom('survey_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /** Records the player's consent (the first page's "I agree"); a second one changes nothing. */
  async consent(scope: SurveyScope, userId: string, now: number): Promise<void> {
    await this.db
      .updateTable('survey_participants')
      .set({ consented_at: now, updated_at: now })
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .where('consented_at', 'is', null)
      .execute();
  }

  /** Starts the clock on the current page the first time it is shown. */
  async startPage(
    scope: SurveyScope,
    userId: string,
    page: number,
    nonce: string,
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('survey_participants')
      .set({ page_nonce: nonce, page_shown_at: now })
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .where('page', '=', page)
      .where('page_nonce', 'is', null)
      .execute();
  }

  /**
   * Moves the player from `fromPage` (shown with `nonce`) to its next state, only if the player
   * is still there: a second submission of the same page (a double click, a replay) changes
   * nothing and answers false.
   */
  async advance(
    scope: SurveyScope,
    userId: string,
    fromPage: number,
    nonce: string,
    next: ParticipantUpdate,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('survey_participants')
      .set({
        status: next.status,
        page: next.page,
        page_nonce: next.pageNonce,
        page_shown_at: next.pageShownAt,
        rushed_pages: next.rushedPages,
        disqualified_reason: next.disqualifiedReason,
        completed_at: next.completedAt,
        warn_rushed: next.warnRushed ? 1 : 0,
        ...(next.quality && {
          long_string: next.quality.longString,
          even_odd: next.quality.evenOdd,
          mahalanobis: next.quality.mahalanobis,
          careless_signals: next.quality.signals.join(','),
        }),
        updated_at: next.now,
      })
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .where('page', '=', fromPage)
      .where('page_nonce', '=', nonce)
      .where('status', 'in', ['requested', 'partial'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async saveResponses(
    scope: SurveyScope,
    userId: string,
    answers: ReadonlyMap<string, number>,
    now: number,
  ): Promise<void> {
    if (answers.size === 0) return;
    await this.db
      .insertInto('survey_responses')
      .values(
        [...answers].map(([itemId, value]) => ({
          dashboard_id: scope.dashboardId,
          environment: scope.environment,
          user_id: userId,
          item_id: itemId,
          value,
          answered_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['dashboard_id', 'environment', 'user_id', 'item_id']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          answered_at: eb.ref('excluded.answered_at'),
        })),
      )
      .execute();
  }

  async responses(scope: SurveyScope, userId: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('survey_responses')
      .select(['item_id', 'value'])
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .execute();
    return new Map(rows.map((r) => [r.item_id, r.value]));
  }

  async saveTraitScores(
    scope: SurveyScope,
    userId: string,
    scores: unknown,
    completedAt: number,
  ): Promise<void> {
    const row = {
      dashboard_id: scope.dashboardId,
      environment: scope.environment,
      user_id: userId,
      scores: JSON.stringify(scores),
      completed_at: completedAt,
      source: 'survey' as const,
    };
    // A completed survey replaces scores imported from another vendor.
    await this.db
      .insertInto('trait_scores')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['dashboard_id', 'environment', 'user_id'])
          .doUpdateSet({ scores: row.scores, completed_at: row.completed_at, source: row.source }),
      )
      .execute();
  }

  async traitScores(scope: SurveyScope, userId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('trait_scores')
      .select('scores')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.scores;
  }

  async statusCounts(scope: SurveyScope): Promise<Map<SurveyStatus, number>> {
    const rows = await this.db
      .selectFrom('survey_participants')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .groupBy('status')
      .execute();
    return new Map(rows.map((r) => [r.status, r.count]));
  }

  /** The newest registrations of the scope, newest first (ties by user id), at most `limit`. */
  recentParticipants(scope: SurveyScope, limit: number): Promise<ParticipantSummary[]> {
    return this.db
      .selectFrom('survey_participants')
      .select([
        'user_id',
        'status',
        'registered_at',
        'completed_at',
        'disqualified_reason',
        'rushed_pages',
        'long_string',
        'even_odd',
        'mahalanobis',
        'careless_signals',
      ])
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .orderBy('registered_at', 'desc')
      .orderBy('user_id', 'asc')
      .limit(limit)
      .execute();
  }

  /** How many players of the scope completed the survey. */
  async completedCount(scope: SurveyScope): Promise<number> {
    return (await this.statusCounts(scope)).get('completed') ?? 0;
  }

  /**
   * The answers of the `limit` most recently completed players of the scope (disqualified ones
   * excluded), one map of item id → value per player.
   */
  async completedResponses(scope: SurveyScope, limit: number): Promise<Map<string, number>[]> {
    const players = this.db
      .selectFrom('survey_participants')
      .select('user_id')
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('status', '=', 'completed')
      .orderBy('completed_at', 'desc')
      .orderBy('user_id', 'asc')
      .limit(limit);
    const rows = await this.db
      .selectFrom('survey_responses')
      .select(['user_id', 'item_id', 'value'])
      .where('dashboard_id', '=', scope.dashboardId)
      .where('environment', '=', scope.environment)
      .where('user_id', 'in', players)
      .execute();
    const byPlayer = new Map<string, Map<string, number>>();
    for (const row of rows) {
      let answers = byPlayer.get(row.user_id);
      if (!answers) byPlayer.set(row.user_id, (answers = new Map<string, number>()));
      answers.set(row.item_id, row.value);
    }
    return [...byPlayer.keys()].sort().map((id) => byPlayer.get(id)!);
  }

  /** The dashboard's name: the game the survey tells the player about. */
  async dashboardName(dashboardId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('dashboards')
      .select('name')
      .where('id', '=', dashboardId)
      .executeTakeFirst();
    return row?.name;
  }

  async dashboardCreatedAt(dashboardId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('dashboards')
      .select('created_at')
      .where('id', '=', dashboardId)
      .executeTakeFirst();
    return row === undefined ? undefined : row.created_at;
  }
}
