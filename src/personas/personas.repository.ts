import type { Kysely } from 'kysely';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Environment } from '../domain/records.js';
import { copyField } from '../events/sql/copy-csv.js';
import type { Database, PersonaSource } from '../store/database.js';
import { withClientTransaction } from '../store/postgres/client-transaction.js';
import type { Store } from '../store/store.js';
import type { TraitScores } from '../survey/trait-catalogue.js';
import type { IdPage } from '../events/event-store.js';
import { TRAIT_DIMENSIONS, writeTraitVector } from './trait-vector.js';

export interface SurveyedPlayers {
  userIds: string[];
  /** Row-major trait vectors, TRAIT_VECTOR order. */
  vectors: Float32Array;
}

export interface StoredPersona {
  persona: number;
  centroid: number[];
  traitMeans: TraitScores;
  surveyed: number;
  predicted: number;
}

export interface PersonaMember {
  userId: string;
  persona: number;
  source: PersonaSource;
  probabilities: string | null;
}

export interface PersonaWrite {
  personas: StoredPersona[];
  members: PersonaMember[];
  summary: unknown;
  lastNumber: number;
  /** When the recompute began reading: a deletion since then is checked for. */
  startedAt: number;
}

const PAGE = 20_000;
/** Rows per multi-row INSERT: 7 parameters each stays under both backends' parameter limits. */
const INSERT_CHUNK = 4_000;
/** Membership rows per piece of COPY text (a few hundred KB), built while the server takes the last. */
const COPY_CHUNK = 5_000;

interface MemberScope {
  dashboard_id: string;
  environment: Environment;
  segment_id: string;
}

/** Writes a segment's membership rows inside the replacing transaction. */
type MemberWriter = (scope: MemberScope, members: readonly PersonaMember[]) => Promise<void>;

/** SQLite: multi-row INSERTs (one write connection, no round trips to save). */
async function insertMembers(
  trx: Kysely<Database>,
  scope: MemberScope,
  members: readonly PersonaMember[],
): Promise<void> {
  for (let i = 0; i < members.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('persona_members')
      .values(
        members.slice(i, i + INSERT_CHUNK).map((m) => ({
          ...scope,
          user_id: m.userId,
          persona: m.persona,
          source: m.source,
          probabilities: m.probabilities,
        })),
      )
      .execute();
  }
}

/** PostgreSQL: one `COPY … FROM STDIN` in text format (no SQL to build, no parameters to bind). */
async function copyMembers(
  client: pg.PoolClient,
  scope: MemberScope,
  members: readonly PersonaMember[],
): Promise<void> {
  if (members.length === 0) return;
  const head = `${copyField(scope.dashboard_id)}\t${copyField(scope.environment)}\t${copyField(scope.segment_id)}\t`;
  function* chunks() {
    for (let i = 0; i < members.length; i += COPY_CHUNK) {
      let text = '';
      for (let j = i; j < Math.min(members.length, i + COPY_CHUNK); j++) {
        const m = members[j]!;
        text += `${head}${copyField(m.userId)}\t${m.persona}\t${copyField(m.source)}\t${copyField(m.probabilities)}\n`;
      }
      yield text;
    }
  }
  await pipeline(
    Readable.from(chunks()),
    client.query(
      copyFrom(
        'COPY persona_members (dashboard_id, environment, segment_id, user_id, persona, source, probabilities) FROM STDIN',
      ),
    ),
  );
}

/** The SQL of personas: surveyed players' scores in, personas and memberships out. */
export class PersonaRepository {
  private readonly db: Kysely<Database>;

  constructor(private readonly store: Pick<Store, 'db' | 'native'>) {
    this.db = store.db;
  }

  /**
   * One transaction whose membership rows go in the backend's fastest way: COPY on PostgreSQL
   * (on a connection of the pool Kysely shares), multi-row INSERTs on SQLite.
   */
  private transaction(work: (trx: Kysely<Database>, writeMembers: MemberWriter) => Promise<void>) {
    const native = this.store.native;
    if (native.backend === 'postgres')
      return withClientTransaction(native.pool, (trx, client) =>
        work(trx, (scope, members) => copyMembers(client, scope, members)),
      );
    return this.db
      .transaction()
      .execute((trx) => work(trx, (scope, members) => insertMembers(trx, scope, members)));
  }

  /**
   * Every surveyed player of the scope, read in pages by user id (flat memory per page). The next
   * page is asked for before this one is parsed: the database finds and sends it meanwhile.
   */
  async surveyed(dashboardId: string, environment: Environment): Promise<SurveyedPlayers> {
    const { n } = await this.db
      .selectFrom('trait_scores')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .executeTakeFirstOrThrow();
    type Rows = { user_id: string; scores: string }[];
    const page = (after: string | undefined): Promise<Rows> => {
      let query = this.db
        .selectFrom('trait_scores')
        .select(['user_id', 'scores'])
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment);
      if (after !== undefined) query = query.where('user_id', '>', after);
      return query.orderBy('user_id').limit(PAGE).execute();
    };
    let vectors = new Float32Array(n * TRAIT_DIMENSIONS);
    const userIds: string[] = [];
    let next: Promise<Rows> | undefined = page(undefined);
    while (next) {
      const rows: Rows = await next;
      next = rows.length < PAGE ? undefined : page(rows[rows.length - 1]!.user_id);
      for (const row of rows) {
        if (userIds.length === vectors.length / TRAIT_DIMENSIONS) {
          // Scores that arrived after the count: grow.
          const grown = new Float32Array(Math.max(16, userIds.length * 2) * TRAIT_DIMENSIONS);
          grown.set(vectors);
          vectors = grown;
        }
        writeTraitVector(JSON.parse(row.scores), vectors, userIds.length * TRAIT_DIMENSIONS);
        userIds.push(row.user_id);
      }
    }
    return { userIds, vectors: vectors.subarray(0, userIds.length * TRAIT_DIMENSIONS) };
  }

  /** One page of the user ids with trait scores (surveyed or imported) in the scope, in id order. */
  async scoredUserIds(dashboardId: string, environment: Environment, page: IdPage): Promise<string[]> {
    let query = this.db
      .selectFrom('trait_scores')
      .select('user_id')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment);
    if (page.after !== undefined) query = query.where('user_id', '>', page.after);
    const rows = await query.orderBy('user_id').limit(page.limit).execute();
    return rows.map((r) => r.user_id);
  }

  async personas(dashboardId: string, environment: Environment, segmentId: string): Promise<StoredPersona[]> {
    const rows = await this.db
      .selectFrom('personas')
      .selectAll()
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('segment_id', '=', segmentId)
      .orderBy('persona')
      .execute();
    return rows.map((r) => ({
      persona: r.persona,
      centroid: JSON.parse(r.centroid) as number[],
      traitMeans: JSON.parse(r.trait_means) as TraitScores,
      surveyed: r.surveyed,
      predicted: r.predicted,
    }));
  }

  async run(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
  ): Promise<{ lastNumber: number; summary: unknown } | undefined> {
    const row = await this.db
      .selectFrom('persona_runs')
      .select(['last_number', 'summary'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('segment_id', '=', segmentId)
      .executeTakeFirst();
    return row && { lastNumber: row.last_number, summary: JSON.parse(row.summary) as unknown };
  }

  /** Replaces a segment's personas and memberships in one transaction. */
  async replace(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    write: PersonaWrite,
    /** The scope's players in the event store: asked only when a deletion raced the recompute. */
    knownPlayers: () => Promise<ReadonlySet<string>>,
  ): Promise<void> {
    const scope = { dashboard_id: dashboardId, environment, segment_id: segmentId };
    let deletedSince = false;
    await this.transaction(async (trx, writeMembers) => {
      for (const table of ['personas', 'persona_members'] as const) {
        await trx
          .deleteFrom(table)
          .where('dashboard_id', '=', dashboardId)
          .where('environment', '=', environment)
          .where('segment_id', '=', segmentId)
          .execute();
      }
      if (write.personas.length > 0) {
        await trx
          .insertInto('personas')
          .values(
            write.personas.map((p) => ({
              ...scope,
              persona: p.persona,
              centroid: JSON.stringify(p.centroid.map((x) => Math.round(x * 1e4) / 1e4)),
              trait_means: JSON.stringify(p.traitMeans),
              surveyed: p.surveyed,
              predicted: p.predicted,
            })),
          )
          .execute();
      }
      await writeMembers(scope, write.members);
      // A player deleted (DELETE /v1/userData) after this recompute read its data must not come
      // back: deletions leave a per-scope time; when it is later than the recompute's start, the
      // members with neither scores nor a player in the event store go, once this commit is done
      // (the event store may share this connection: it cannot be asked inside the transaction).
      const deletion = await trx
        .selectFrom('user_data_deletions')
        .select('deleted_at')
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment)
        .executeTakeFirst();
      deletedSince = deletion !== undefined && deletion.deleted_at >= write.startedAt;
      const run = {
        summary: JSON.stringify(write.summary),
        last_number: write.lastNumber,
        computed_at: Date.now(),
      };
      await trx
        .insertInto('persona_runs')
        .values({ ...scope, ...run })
        .onConflict((oc) => oc.columns(['dashboard_id', 'environment', 'segment_id']).doUpdateSet(run))
        .execute();
    });
    if (!deletedSince) return;
    const unscored = await this.unscoredMembers(dashboardId, environment, segmentId);
    if (unscored.length === 0) return;
    const players = await knownPlayers();
    const gone = unscored.filter((id) => !players.has(id));
    if (gone.length > 0) await this.removeMembers(dashboardId, environment, segmentId, gone);
  }

  /** Members of a segment without trait scores (predicted): the ones a deletion may concern. */
  private async unscoredMembers(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
  ): Promise<string[]> {
    const rows = await this.db
      .selectFrom('persona_members')
      .select('user_id')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('segment_id', '=', segmentId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('trait_scores as t')
              .select('t.user_id')
              .where('t.dashboard_id', '=', dashboardId)
              .where('t.environment', '=', environment)
              .whereRef('t.user_id', '=', 'persona_members.user_id'),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.user_id);
  }

  private async removeMembers(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    userIds: readonly string[],
  ): Promise<void> {
    for (let i = 0; i < userIds.length; i += INSERT_CHUNK) {
      await this.db
        .deleteFrom('persona_members')
        .where('dashboard_id', '=', dashboardId)
        .where('environment', '=', environment)
        .where('segment_id', '=', segmentId)
        .where('user_id', 'in', userIds.slice(i, i + INSERT_CHUNK))
        .execute();
    }
  }

  /** One page of a persona's (or, persona undefined, a segment's) member ids in user id order. */
  async memberIds(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | undefined,
    limit: number,
    after: string | undefined,
  ): Promise<string[]> {
    let query = this.db
      .selectFrom('persona_members')
      .select('user_id')
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('segment_id', '=', segmentId);
    if (persona !== undefined) query = query.where('persona', '=', persona);
    if (after !== undefined) query = query.where('user_id', '>', after);
    const rows = await query.orderBy('user_id').limit(limit).execute();
    return rows.map((r) => r.user_id);
  }

  /** One page of a persona's (or a segment's) members with their persona and source, in user id order. */
  async memberRows(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | undefined,
    limit: number,
    after: string | undefined,
  ): Promise<{ user_id: string; persona: number; source: PersonaSource }[]> {
    let query = this.db
      .selectFrom('persona_members')
      .select(['user_id', 'persona', 'source'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('segment_id', '=', segmentId);
    if (persona !== undefined) query = query.where('persona', '=', persona);
    if (after !== undefined) query = query.where('user_id', '>', after);
    return query.orderBy('user_id').limit(limit).execute();
  }

  /** How many players of the scope completed the survey (one indexed count). */
  async surveyedCount(dashboardId: string, environment: Environment): Promise<number> {
    const { n } = await this.db
      .selectFrom('trait_scores')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async memberships(dashboardId: string, environment: Environment, userId: string) {
    return this.db
      .selectFrom('persona_members')
      .select(['segment_id', 'persona', 'source', 'probabilities'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('user_id', '=', userId)
      .execute();
  }

  async scores(dashboardId: string, environment: Environment, userId: string) {
    return this.db
      .selectFrom('trait_scores')
      .select(['scores', 'completed_at', 'source'])
      .where('dashboard_id', '=', dashboardId)
      .where('environment', '=', environment)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }
}
