import type { PersonaRepository } from '../personas/personas.repository.js';
import type { SegmentService } from '../personas/segments.service.js';
import type { Audience, Scope } from './audience.js';
import { dayOf } from './days.js';
import { DEFAULT_CHURN_DAYS } from './figures.service.js';
import type { FiguresRepository } from './figures.repository.js';
import { resolveQuery, type InsightsQuery } from './insights-query.js';
import type { InsightsRepository } from './insights.repository.js';

/** One figure of a persona against its segment (a flat row: JSON and CSV alike). */
export interface ProfileRow {
  persona: number;
  /** `retention_d1`, `retention_d7`, `arpdau`, `churn_rate`, or `trait:<category>.<trait>`. */
  metric: string;
  value: number | null;
  segment_value: number | null;
  difference: number | null;
  /** Players the persona's figure rests on (surveyed members for a trait). */
  players: number;
  /** 95% Wilson interval of a share (retention, churn); null for means. */
  ci_low: number | null;
  ci_high: number | null;
}

interface Kpis {
  shares: Map<string, { hits: number; players: number }>;
  arpdau: { value: number | null; players: number };
}

const Z95 = 1.959964;

/**
 * What sets each persona of a segment apart: its KPIs against the segment's (retention, ARPDAU,
 * churn; shares with their 95% interval, since a persona may rest on few players), then its trait
 * means against the segment's, largest differences first.
 */
export class PersonaProfilesService {
  constructor(
    private readonly activity: InsightsRepository,
    private readonly figures: FiguresRepository,
    private readonly personas: PersonaRepository,
    private readonly segments: SegmentService,
    private readonly now: () => number = Date.now,
  ) {}

  async profiles(scope: Scope, query: InsightsQuery): Promise<ProfileRow[]> {
    const { from, to, audience } = await resolveQuery(this.segments, scope, query);
    const stored = await this.personas.personas(scope.dashboardId, scope.environment, audience.segmentId);
    const wanted = stored.filter(
      (p) => typeof audience.persona !== 'number' || p.persona === audience.persona,
    );
    if (wanted.length === 0) return [];
    const segment = await this.kpis(scope, { segmentId: audience.segmentId, persona: 'all' }, from, to);
    const segmentTraits = weightedTraitMeans(stored);
    const rows: ProfileRow[] = [];
    for (const p of wanted) {
      const own = await this.kpis(scope, { segmentId: audience.segmentId, persona: p.persona }, from, to);
      for (const [metric, share] of own.shares) {
        const base = segment.shares.get(metric)!;
        const value = share.players === 0 ? null : share.hits / share.players;
        const segmentValue = base.players === 0 ? null : base.hits / base.players;
        const [low, high] = wilson(share.hits, share.players);
        rows.push(row(p.persona, metric, value, segmentValue, share.players, low, high));
      }
      rows.push(
        row(p.persona, 'arpdau', own.arpdau.value, segment.arpdau.value, own.arpdau.players, null, null),
      );
      const traits: ProfileRow[] = [];
      for (const [category, means] of Object.entries(p.traitMeans))
        for (const [trait, mean] of Object.entries(means)) {
          const base = segmentTraits.get(`${category}.${trait}`) ?? null;
          traits.push(row(p.persona, `trait:${category}.${trait}`, mean, base, p.surveyed, null, null));
        }
      traits.sort((a, b) => Math.abs(b.difference ?? 0) - Math.abs(a.difference ?? 0));
      rows.push(...traits);
    }
    return rows;
  }

  /** D1 and D7 retention and churn over the cohorts old enough, and ARPDAU over the range. */
  private async kpis(scope: Scope, audience: Audience, from: number, to: number): Promise<Kpis> {
    const today = dayOf(this.now());
    const shares = new Map<string, { hits: number; players: number }>();
    const cohorts = await this.activity.retention(scope, audience, from, to, [1, 7]);
    for (const n of [1, 7]) {
      const ripe = cohorts.filter((c) => c.cohort + n <= today);
      shares.set(`retention_d${n}`, {
        hits: ripe.reduce((sum, c) => sum + (c.retained.get(n) ?? 0), 0),
        players: ripe.reduce((sum, c) => sum + c.players, 0),
      });
    }
    const lastDay = today - DEFAULT_CHURN_DAYS;
    const churn = (await this.figures.churn(scope, audience, from, to, lastDay)).filter(
      (c) => c.cohort <= lastDay,
    );
    shares.set('churn_rate', {
      hits: churn.reduce((sum, c) => sum + c.churned, 0),
      players: churn.reduce((sum, c) => sum + c.players, 0),
    });
    const days = await this.activity.activity(scope, audience, from, to);
    const dau = days.reduce((sum, d) => sum + d.dau, 0);
    const revenue = days.reduce((sum, d) => sum + d.revenue, 0);
    return { shares, arpdau: { value: dau === 0 ? null : revenue / dau, players: dau } };
  }
}

function row(
  persona: number,
  metric: string,
  value: number | null,
  segmentValue: number | null,
  players: number,
  low: number | null,
  high: number | null,
): ProfileRow {
  const difference = value === null || segmentValue === null ? null : value - segmentValue;
  return {
    persona,
    metric,
    value,
    segment_value: segmentValue,
    difference,
    players,
    ci_low: low,
    ci_high: high,
  };
}

/** The segment's trait means: the personas' means weighted by their surveyed members. */
function weightedTraitMeans(
  personas: readonly { traitMeans: Record<string, Record<string, number>>; surveyed: number }[],
): Map<string, number> {
  const sums = new Map<string, { total: number; weight: number }>();
  for (const p of personas)
    for (const [category, means] of Object.entries(p.traitMeans))
      for (const [trait, mean] of Object.entries(means)) {
        const key = `${category}.${trait}`;
        const entry = sums.get(key) ?? { total: 0, weight: 0 };
        entry.total += mean * p.surveyed;
        entry.weight += p.surveyed;
        sums.set(key, entry);
      }
  return new Map([...sums].filter(([, s]) => s.weight > 0).map(([key, s]) => [key, s.total / s.weight]));
}

/** 95% Wilson score interval of hits / n (good at small n and near 0 or 1); nulls for n = 0. */
export function wilson(hits: number, n: number): [number | null, number | null] {
  if (n === 0) return [null, null];
  const p = hits / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
