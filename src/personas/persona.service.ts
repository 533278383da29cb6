import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { formatTimestamp } from '../domain/timestamp.js';
import { AppError } from '../errors.js';
import type { EventScope, EventStore, IdPage } from '../events/event-store.js';
import type { PersonaSource } from '../store/database.js';
import type { Store } from '../store/store.js';
import type { TraitScores } from '../survey/trait-catalogue.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { behaviourFeatures, NO_BEHAVIOUR } from './behaviour-features.js';
import {
  CLUSTERING_DEFAULTS,
  clusterPlayers,
  type Clustering,
  type ClusteringOptions,
  type PersonaEvidence,
} from './clustering.js';
import { numberPersonas } from './numbering.js';
import { PersonaRepository, type PersonaWrite, type SurveyedPlayers } from './personas.repository.js';
import {
  PREDICTION_DEFAULTS,
  predictPersonas,
  type PredictionOptions,
  type PredictionSummary,
} from './prediction.js';
import { decodeCursor, encodeCursor } from './id-cursor.js';
import { segmentUserIds } from './segment-filter.js';
import { mergeIdPages } from './id-cursor.js';
import { DEFAULT_SEGMENT, type Segment, type SegmentService } from './segments.service.js';
import {
  CONSTRUCT_DIMENSIONS,
  meanTraitVectors,
  TRAIT_DIMENSIONS,
  traitScoresOf,
  writeConstructVector,
} from './trait-vector.js';
import { round } from '../domain/round.js';

export interface PersonaOptions {
  /** Completions and deletions within this window share one recompute. */
  debounceMs?: number;
  clustering?: ClusteringOptions;
  /** When a player without scores gets a predicted persona (prediction.ts). */
  prediction?: PredictionOptions;
  /**
   * Told after a recompute of the scope has written its segments, without holding up the
   * recompute's answer (e.g. to rebuild the insights aggregates by persona); errors are swallowed:
   * whoever reads what it prepares must check for itself.
   */
  onRecomputed?: (
    dashboardId: string,
    environment: Environment,
    segmentIds: readonly string[],
  ) => Promise<void>;
}

export type { PredictionSummary };

export interface SegmentSummary {
  segment_id: string;
  name: string;
  players: number;
  surveyed: number;
  predicted: number;
  k: number;
  /** False when one persona is all the evidence supports (or there are too few surveyed players). */
  distinct_personas: boolean;
  /** How k was chosen (null: no surveyed player, or fewer than the minimum). */
  evidence: PersonaEvidence | null;
  /**
   * size = surveyed + predicted members; surveyed = surveyed players assigned to the persona
   * (their most probable); surveyed_expected = the sum of surveyed players' probabilities of it.
   */
  personas: {
    persona: number;
    size: number;
    surveyed: number;
    surveyed_expected: number;
    predicted: number;
  }[];
  /** Null only when the segment has no scored player (no personas). */
  prediction: PredictionSummary | null;
  computed_at: string;
}

export interface RecomputeResult {
  dashboard_id: string;
  environments: { environment: Environment; segments: SegmentSummary[] }[];
}

/** The user-ids endpoint answers at most this many ids per call by default, and at most MAX_IDS. */
export const DEFAULT_IDS_LIMIT = 100_000;
export const MAX_IDS_LIMIT = 1_000_000;

/** A surveyed player's membership probabilities by persona number, 4 digits, the negligible left out. */
function probabilitiesJson(clustering: Clustering, i: number, numbers: readonly number[]): string {
  const out: Record<number, number> = {};
  for (let c = 0; c < clustering.k; c++) {
    const p = round(clustering.probabilities[i * clustering.k + c]!);
    if (p > 0) out[numbers[c]!] = p;
  }
  return JSON.stringify(out);
}

/** The evidence with its figures rounded for reading (BIC to 0.1, shares and entropies to 4 digits). */
function roundedEvidence(evidence: PersonaEvidence | null): PersonaEvidence | null {
  if (!evidence) return null;
  return {
    ...evidence,
    shrinkage: round(evidence.shrinkage),
    entropy: round(evidence.entropy),
    candidates: evidence.candidates.map((c) => ({
      ...c,
      bic: round(c.bic, 1),
      log_likelihood: round(c.log_likelihood, 1),
      entropy: round(c.entropy),
      smallest_share: round(c.smallest_share),
    })),
    null_check: evidence.null_check && {
      ...evidence.null_check,
      observed: round(evidence.null_check.observed, 1),
      null_max: round(evidence.null_check.null_max, 1),
    },
  };
}

/**
 * Personas: per segment, the surveyed players' trait vectors clustered (see clustering.ts),
 * numbered stably across recomputes (numbering.ts), and every other member's persona predicted
 * from behaviour (predictor.ts). Recomputed on demand and, debounced, after survey completions
 * and data deletions.
 */
export class PersonaService {
  private readonly repo: PersonaRepository;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly debounceMs: number;
  private readonly clustering: ClusteringOptions;
  private readonly prediction: PredictionOptions;
  private readonly onRecomputed: PersonaOptions['onRecomputed'];
  private stopped = false;

  constructor(
    store: Pick<Store, 'db' | 'native'>,
    private readonly events: EventStore,
    private readonly tenancy: TenancyService,
    private readonly segments: SegmentService,
    options: PersonaOptions = {},
  ) {
    this.repo = new PersonaRepository(store);
    this.debounceMs = options.debounceMs ?? 5_000;
    this.clustering = options.clustering ?? CLUSTERING_DEFAULTS;
    this.prediction = options.prediction ?? PREDICTION_DEFAULTS;
    this.onRecomputed = options.onRecomputed;
  }

  /**
   * Recompute the scope's personas soon: calls within `debounceMs` share one recompute, and a
   * call during a recompute schedules one more after it. The survey calls this on completion.
   */
  scheduleRecompute(dashboardId: string, environment: Environment): void {
    if (this.stopped) return;
    const key = `${dashboardId}\u0000${environment}`;
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.serialized(key, () => this.recomputeScope(dashboardId, environment)).catch(() => undefined);
    }, this.debounceMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Resolves when no recompute is scheduled or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.timers.size > 0 || this.running.size > 0) {
      await Promise.allSettled([...this.running.values()]);
      if (this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** No more scheduled recomputes; waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Recomputes now: one environment, or both. */
  async recompute(dashboardId: string, environment?: Environment): Promise<RecomputeResult> {
    await this.tenancy.getDashboard(dashboardId);
    const environments = environment ? [environment] : [...ENVIRONMENTS];
    const results: RecomputeResult['environments'] = [];
    for (const env of environments) {
      const segments = await this.serialized(`${dashboardId}\u0000${env}`, () =>
        this.recomputeScope(dashboardId, env),
      );
      results.push({ environment: env, segments });
    }
    return { dashboard_id: dashboardId, environments: results };
  }

  /** One recompute per scope at a time in this process: the next waits for the previous. */
  private async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.running.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.running.set(key, next);
    try {
      return await next;
    } finally {
      if (this.running.get(key) === next) this.running.delete(key);
    }
  }

  private async recomputeScope(dashboardId: string, environment: Environment): Promise<SegmentSummary[]> {
    // Before any read: a deletion from here on is caught when the results are written.
    const startedAt = Date.now();
    const segments = await this.segments.all(dashboardId);
    // Scores and behaviour at once: on PostgreSQL the server aggregates events while this process
    // parses scores (two pooled connections); on SQLite the two interleave on its one connection.
    const [surveyed, features] = await Promise.all([
      this.repo.surveyed(dashboardId, environment),
      behaviourFeatures(this.events, { dashboardId, environment }),
    ]);
    const summaries: SegmentSummary[] = [];
    for (const segment of segments) {
      const members =
        segment.id === DEFAULT_SEGMENT.id
          ? [...new Set([...features.keys(), ...surveyed.userIds])]
          : await segmentUserIds(this.events, { dashboardId, environment }, segment.filter);
      summaries.push(
        await this.computeSegment(dashboardId, environment, segment, members, surveyed, features, startedAt),
      );
    }
    const told = this.onRecomputed;
    if (told) {
      // Queued behind this recompute: the next one of the scope, idle() and stop() wait for it.
      const segmentIds = segments.map((s) => s.id);
      void this.serialized(`${dashboardId}\u0000${environment}`, () =>
        told(dashboardId, environment, segmentIds),
      ).catch(() => undefined);
    }
    return summaries;
  }

  private async computeSegment(
    dashboardId: string,
    environment: Environment,
    segment: Segment,
    members: readonly string[],
    all: SurveyedPlayers,
    features: ReadonlyMap<string, readonly number[]>,
    startedAt: number,
  ): Promise<SegmentSummary> {
    const d = TRAIT_DIMENSIONS;
    const memberSet = new Set(members);
    const rows: number[] = [];
    all.userIds.forEach((userId, i) => {
      if (memberSet.has(userId)) rows.push(i);
    });
    let vectors = all.vectors;
    if (rows.length !== all.userIds.length) {
      vectors = new Float32Array(rows.length * d);
      rows.forEach((row, i) => {
        vectors.set(all.vectors.subarray(row * d, row * d + d), i * d);
      });
    }
    const surveyedIds = rows.map((row) => all.userIds[row]!);
    const clustering = await clusterPlayers(
      (i, out, offset) => {
        writeConstructVector(vectors, i * d, out, offset);
      },
      rows.length,
      CONSTRUCT_DIMENSIONS,
      this.clustering,
    );
    // Centroids and trait means are over the reported traits (all of them, domains included).
    const centroids = meanTraitVectors(vectors, rows.length, clustering.labels, clustering.k);

    const previous = await this.repo.personas(dashboardId, environment, segment.id);
    const run = await this.repo.run(dashboardId, environment, segment.id);
    const { numbers, lastNumber } = numberPersonas(
      centroids,
      clustering.sizes,
      previous,
      run?.lastNumber ?? 0,
    );
    const personaOf = (label: number) => numbers[label]!;

    const members_: PersonaWrite['members'] = surveyedIds.map((userId, i) => ({
      userId,
      persona: personaOf(clustering.labels[i]!),
      source: 'surveyed' as const,
      probabilities: probabilitiesJson(clustering, i, numbers),
    }));
    const featuresOf = (userId: string) => features.get(userId) ?? NO_BEHAVIOUR;
    const surveyedSet = new Set(surveyedIds);
    const { assignments, summary: prediction } = await predictPersonas(
      {
        scored: surveyedIds.map((userId, i) => ({
          userId,
          persona: personaOf(clustering.labels[i]!),
          features: featuresOf(userId),
        })),
        unscored: members
          .filter((userId) => !surveyedSet.has(userId))
          .map((userId) => ({ userId, features: featuresOf(userId) })),
        k: clustering.k,
      },
      this.prediction,
    );
    for (const a of assignments)
      members_.push({ userId: a.userId, persona: a.persona, source: 'predicted', probabilities: null });

    const predictedCounts = new Map<number, number>();
    for (const m of members_)
      if (m.source === 'predicted') predictedCounts.set(m.persona, (predictedCounts.get(m.persona) ?? 0) + 1);
    const personas = centroids
      .map((centroid, label) => ({
        persona: personaOf(label),
        centroid,
        traitMeans: traitScoresOf(centroid),
        surveyed: clustering.sizes[label]!,
        expected: clustering.expected[label]!,
        predicted: predictedCounts.get(personaOf(label)) ?? 0,
      }))
      .sort((a, b) => a.persona - b.persona);
    const summary: SegmentSummary = {
      segment_id: segment.id,
      name: segment.name,
      players: members.length,
      surveyed: surveyedIds.length,
      predicted: members_.length - surveyedIds.length,
      k: clustering.k,
      distinct_personas: clustering.distinct,
      evidence: roundedEvidence(clustering.evidence),
      personas: personas.map((p) => ({
        persona: p.persona,
        size: p.surveyed + p.predicted,
        surveyed: p.surveyed,
        surveyed_expected: round(p.expected, 2),
        predicted: p.predicted,
      })),
      prediction: clustering.k === 0 ? null : prediction,
      computed_at: formatTimestamp(Date.now()),
    };
    const scope = { dashboardId, environment };
    await this.repo.replace(
      dashboardId,
      environment,
      segment.id,
      {
        personas,
        members: members_,
        summary,
        lastNumber,
        startedAt,
      },
      async () => new Set(await this.events.segmentMembers(scope, {})),
    );

    return summary;
  }

  private async personasOf(dashboardId: string, environment: Environment, segmentId: string) {
    const segment = await this.segments.get(dashboardId, segmentId);
    const personas = await this.repo.personas(dashboardId, environment, segment.id);
    return { segment, personas };
  }

  private missing(
    segment: Segment,
    environment: Environment,
    persona: number | 'all',
    known: number[],
  ): AppError {
    if (known.length === 0)
      return new AppError(
        'not_found',
        `segment ${segment.id} has no personas yet in ${environment}: they are computed once players have completed the survey`,
      );
    return new AppError(
      'not_found',
      `segment ${segment.id} has no persona ${persona} in ${environment} (personas: ${known.join(', ')})`,
    );
  }

  /**
   * One page of ids in user id order. `all`: every member of the segment as its filter stands now
   * (scored or not, with a persona or not, before any survey too); a persona: the players assigned
   * to it at the last recompute. `next` is the cursor of the following page (id-cursor.ts).
   */
  async userIds(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | 'all',
    page: { limit?: number; after?: string } = {},
  ): Promise<{ ids: string[]; next: string | undefined }> {
    const limit = Math.min(page.limit ?? DEFAULT_IDS_LIMIT, MAX_IDS_LIMIT);
    const request: IdPage = {
      after: page.after === undefined ? undefined : decodeCursor(page.after),
      limit: limit + 1,
    };
    let ids: string[];
    if (persona === 'all') {
      const segment = await this.segments.get(dashboardId, segmentId);
      ids =
        segment.id === DEFAULT_SEGMENT.id
          ? await this.scopeUserIds({ dashboardId, environment }, request)
          : await segmentUserIds(this.events, { dashboardId, environment }, segment.filter, request);
    } else {
      const { segment, personas } = await this.personasOf(dashboardId, environment, segmentId);
      const known = personas.map((p) => p.persona);
      if (!known.includes(persona)) throw this.missing(segment, environment, persona, known);
      ids = await this.repo.memberIds(
        dashboardId,
        environment,
        segment.id,
        persona,
        request.limit,
        request.after,
      );
    }
    const more = ids.length > limit;
    if (more) ids.pop();
    return { ids, next: more ? encodeCursor(ids[ids.length - 1]!) : undefined };
  }

  /**
   * One page of the `default` segment, every player of the scope: those the event store knows and
   * those with trait scores only (surveyed or imported, never sent an event), in user id order.
   */
  private async scopeUserIds(scope: EventScope, page: IdPage): Promise<string[]> {
    const [players, scored] = await Promise.all([
      this.events.segmentMembers(scope, {}, page),
      this.repo.scoredUserIds(scope.dashboardId, scope.environment, page),
    ]);
    return mergeIdPages(players, scored, page.limit);
  }

  /** Mean trait scores of a persona's surveyed members; `all`: of the segment's surveyed members. */
  async traits(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | 'all',
  ): Promise<TraitScores> {
    const { segment, personas } = await this.personasOf(dashboardId, environment, segmentId);
    const known = personas.map((p) => p.persona);
    const chosen = persona === 'all' ? personas : personas.filter((p) => p.persona === persona);
    if (chosen.length === 0) throw this.missing(segment, environment, persona, known);
    if (chosen.length === 1) return chosen[0]!.traitMeans;
    // Weighted by surveyed members: the mean over all of them.
    const total = chosen.reduce((sum, p) => sum + p.surveyed, 0);
    const vector = new Array<number>(TRAIT_DIMENSIONS).fill(0);
    for (const p of chosen)
      p.centroid.forEach((x, j) => (vector[j]! += (x * p.surveyed) / Math.max(1, total)));
    return traitScoresOf(vector);
  }

  /** A player's scores (surveyed or imported) and persona in every segment they belong to. */
  async playerTraits(dashboardId: string, environment: Environment, userId: string) {
    await this.tenancy.getDashboard(dashboardId);
    const [scores, memberships, exists, segments] = await Promise.all([
      this.repo.scores(dashboardId, environment, userId),
      this.repo.memberships(dashboardId, environment, userId),
      this.events.hasPlayer({ dashboardId, environment }, userId),
      this.segments.all(dashboardId),
    ]);
    if (!scores && !exists && memberships.length === 0)
      throw new AppError('not_found', `dashboard ${dashboardId} has no player ${userId} in ${environment}`);
    const names = new Map(segments.map((s) => [s.id, s.name]));
    return {
      user_id: userId,
      environment,
      surveyed: scores?.source === 'survey',
      completed_at: scores?.source === 'survey' ? formatTimestamp(scores.completed_at) : null,
      // Where the scores come from: this server's survey, or an import (another vendor's).
      scores_source: scores?.source ?? null,
      imported_at: scores?.source === 'imported' ? formatTimestamp(scores.completed_at) : null,
      scores: scores ? (JSON.parse(scores.scores) as TraitScores) : null,
      personas: memberships
        .map((m) => ({
          segment_id: m.segment_id,
          segment_name: names.get(m.segment_id) ?? m.segment_id,
          persona: m.persona,
          source: m.source,
          probabilities:
            m.probabilities === null ? null : (JSON.parse(m.probabilities) as Record<string, number>),
        }))
        .sort((a, b) =>
          a.segment_id === 'default'
            ? -1
            : b.segment_id === 'default'
              ? 1
              : a.segment_id < b.segment_id
                ? -1
                : 1,
        ),
    };
  }

  /**
   * What the dashboard's Personas page shows of one segment: the segments to pick from, the
   * stored personas, the last recompute's summary (null: never computed) and how many players of
   * the scope completed the survey (to say why there are no personas).
   */
  async overview(dashboardId: string, environment: Environment, segmentId: string) {
    await this.tenancy.getDashboard(dashboardId);
    const segment = await this.segments.get(dashboardId, segmentId);
    const [segments, personas, run, surveyed] = await Promise.all([
      this.segments.all(dashboardId),
      this.repo.personas(dashboardId, environment, segment.id),
      this.repo.run(dashboardId, environment, segment.id),
      this.repo.surveyedCount(dashboardId, environment),
    ]);
    return {
      segment,
      segments,
      personas,
      summary: (run?.summary ?? null) as SegmentSummary | null,
      surveyed,
    };
  }

  /** A page of a persona's (`all`: the segment's) members with persona and source, in user id order. */
  async members(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | 'all',
    page: { limit: number; after?: string },
  ) {
    const { segment, personas } = await this.personasOf(dashboardId, environment, segmentId);
    const known = personas.map((p) => p.persona);
    if (known.length === 0 || (persona !== 'all' && !known.includes(persona)))
      throw this.missing(segment, environment, persona, known);
    return this.repo.memberRows(
      dashboardId,
      environment,
      segment.id,
      persona === 'all' ? undefined : persona,
      Math.min(page.limit, MAX_IDS_LIMIT),
      page.after,
    );
  }

  /**
   * Every member of a persona (`all`: of the segment), read in pages by user id: flat memory
   * whatever the size. The persona is checked before the first row (a 404, not a broken download).
   */
  async memberPages(
    dashboardId: string,
    environment: Environment,
    segmentId: string,
    persona: number | 'all',
    pageSize = 10_000,
  ): Promise<AsyncGenerator<{ user_id: string; persona: number; source: PersonaSource }[]>> {
    const first = await this.members(dashboardId, environment, segmentId, persona, { limit: pageSize });
    const repo = this.repo;
    const segment = (await this.segments.get(dashboardId, segmentId)).id;
    return (async function* pages() {
      let rows = first;
      for (;;) {
        if (rows.length > 0) yield rows;
        if (rows.length < pageSize) return;
        rows = await repo.memberRows(
          dashboardId,
          environment,
          segment,
          persona === 'all' ? undefined : persona,
          pageSize,
          rows[rows.length - 1]!.user_id,
        );
      }
    })();
  }

  /** The last recompute's summary of each segment (null for a segment never computed). */
  async lastRun(dashboardId: string, environment: Environment, segmentId: string): Promise<unknown> {
    return (await this.repo.run(dashboardId, environment, segmentId))?.summary ?? null;
  }
}
