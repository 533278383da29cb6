import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { csvRow } from '../domain/csv-cell.js';
import type { Scope } from '../insights/audience.js';
import { DEFAULT_CHURN_DAYS, MAX_CHURN_DAYS, type FiguresService } from '../insights/figures.service.js';
import { MAX_RANGE_DAYS } from '../insights/insights-query.js';
import type { CohortFigures, InsightsService } from '../insights/insights.service.js';
import type { PersonaProfilesService } from '../insights/persona-profiles.service.js';
import { StringEnum } from './schemas.js';

/** The query every insights answer takes (the 12traits and admin routes share it). */
const COMMON_QUERY = {
  from: Type.String({ maxLength: 10, description: 'First day of the range, YYYY-MM-DD (UTC)' }),
  to: Type.String({
    maxLength: 10,
    description: `Last day of the range, YYYY-MM-DD (UTC), included; at most ${MAX_RANGE_DAYS} days from from`,
  }),
  segment: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'default (every player) or a segment id' }),
  ),
  persona: Type.Optional(
    Type.String({
      maxLength: 20,
      description: 'all (default), none (players without a persona) or a persona number',
    }),
  ),
  format: Type.Optional(
    StringEnum(['json', 'csv'], { description: 'csv: the same figures as CSV (or send Accept: text/csv)' }),
  ),
};
const OFFSETS = (what: string) =>
  Type.Optional(
    Type.String({
      maxLength: 200,
      description: `Comma-separated day offsets N (default 1,7,30), from 0 to ${MAX_RANGE_DAYS}: ${what}`,
    }),
  );
const query = <P extends TProperties>(extra: P) =>
  Type.Object({ ...COMMON_QUERY, ...extra }, { additionalProperties: false });
/** The schema of an answer's query: the common fields and the answer's own. */
export type InsightsQuerySchema = TObject<typeof COMMON_QUERY>;
/** The parsed query the routes hand to an answer (its own fields are there too). */
export type InsightsQuery = Static<InsightsQuerySchema>;

const Day = Type.String({ description: 'YYYY-MM-DD (UTC)' });
const Share = Type.Number({ description: 'A share from 0 to 1' });

const DailyRow = Type.Object({
  day: Day,
  dau: Type.Integer({ description: 'Players with any record timestamped that day' }),
  new_players: Type.Integer({ description: 'Players whose install day it is' }),
  revenue: Type.Number({ description: "Sum of that day's real-money purchases' price" }),
  paying_players: Type.Integer({ description: 'Players with a real-money purchase that day' }),
  arpdau: Type.Number({ description: 'revenue ÷ dau (0 when dau is 0)' }),
});
const CohortRow = Type.Object({
  cohort: Type.String({ description: 'The install day, YYYY-MM-DD (UTC)' }),
  players: Type.Integer({ description: 'Players whose install day it is' }),
  retention: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), {
    description:
      'By N: the share (0–1) of the cohort active on install day + N; null while that day is in the future',
  }),
});
const EngagementRow = Type.Object({
  day: Day,
  dau: Type.Integer(),
  wau: Type.Integer({ description: 'Players active in the 7 days ending that day' }),
  mau: Type.Integer({ description: 'Players active in the 30 days ending that day' }),
  stickiness: Type.Number({ description: 'dau ÷ mau (0 when mau is 0)' }),
  new_players: Type.Integer(),
  logins: Type.Integer(),
  logins_per_dau: Type.Number({ description: 'logins ÷ dau (0 when dau is 0)' }),
});
const MonetizationRow = Type.Object({
  day: Day,
  dau: Type.Integer(),
  revenue: Type.Number(),
  purchases: Type.Integer({ description: 'Real-money purchases that day' }),
  paying_players: Type.Integer(),
  arpdau: Type.Number({ description: 'revenue ÷ dau (0 when dau is 0)' }),
  arppu: Type.Number({ description: 'revenue ÷ paying_players (0 when none paid)' }),
  first_purchasers: Type.Integer({ description: 'Players whose first real-money purchase was that day' }),
  conversion: { ...Share, description: 'first_purchasers ÷ dau (0 when dau is 0)' },
});
const NamedRow = (name: string, meanOf: string) =>
  Type.Object({
    day: Day,
    name: Type.String({ description: name }),
    total: Type.Number({ description: 'Sum of the values that day' }),
    mean: Type.Number({ description: `total ÷ records: ${meanOf}` }),
    records: Type.Integer(),
    players: Type.Integer({ description: 'Players with a record that day' }),
  });
const ChurnRow = Type.Object({
  cohort: Type.String({ description: 'The install day, YYYY-MM-DD (UTC)' }),
  players: Type.Integer(),
  churned: Type.Integer({
    description: 'Players with no login in the churn_days days ending today (never logged in: since install)',
  }),
  churn_rate: Type.Union([Type.Number(), Type.Null()], {
    description: 'churned ÷ players; null while the cohort is younger than churn_days',
  }),
});
const ProgressionRow = Type.Object({
  days_since_install: Type.Integer(),
  players: Type.Integer({
    description: 'Players whose install day + N has come and who have a level by then',
  }),
  p25: Type.Union([Type.Number(), Type.Null()]),
  median: Type.Union([Type.Number(), Type.Null()]),
  p75: Type.Union([Type.Number(), Type.Null()]),
});

const ProfileRow = Type.Object({
  persona: Type.Integer(),
  metric: Type.String({
    description: 'retention_d1, retention_d7, arpdau, churn_rate (14 days), or trait:<category>.<trait>',
  }),
  value: Type.Union([Type.Number(), Type.Null()], {
    description: "The persona's figure (null: no player to rest on)",
  }),
  segment_value: Type.Union([Type.Number(), Type.Null()], { description: "The segment's figure" }),
  difference: Type.Union([Type.Number(), Type.Null()], { description: 'value − segment_value' }),
  players: Type.Integer({ description: 'Players the figure rests on (surveyed members for a trait)' }),
  ci_low: Type.Union([Type.Number(), Type.Null()], {
    description: '95% Wilson interval of a share; null for means',
  }),
  ci_high: Type.Union([Type.Number(), Type.Null()]),
});

type Row = Record<string, unknown>;
/** What an insights route needs: the services, the caller's scope and the parsed query. */
export interface InsightsServices {
  insights: InsightsService;
  figures: FiguresService;
  personaProfiles: PersonaProfilesService;
}
/** One insights answer: `GET /v1/insights/<name>` and its admin twin share this description. */
export interface InsightsAnswer {
  name: string;
  summary: string;
  description: string;
  query: InsightsQuerySchema;
  /** The key of the list in `data` (`days`, `cohorts`, …) and its rows' schema. */
  list: string;
  rows: TObject;
  listDescription: string;
  example: Row;
  run(services: InsightsServices, scope: Scope, query: InsightsQuery): Promise<object[]>;
  /** CSV of the rows; absent: one column per field of `rows`. */
  csv?(rows: object[]): string;
}

export const INSIGHTS_ANSWERS: readonly InsightsAnswer[] = [
  {
    name: 'daily',
    summary: 'Daily KPIs: DAU, new players, revenue, paying players, ARPDAU',
    description:
      "One entry per UTC day of the range, zeros included, for the segment's players (all, one persona, or none).",
    query: query({}),
    list: 'days',
    rows: DailyRow,
    listDescription: 'One entry per day of the range, zeros included',
    example: {
      day: '2024-03-01',
      dau: 120,
      new_players: 30,
      revenue: 59.9,
      paying_players: 4,
      arpdau: 0.4992,
    },
    run: (s, scope, q: { from: string; to: string }) => s.insights.daily(scope, q),
  },
  {
    name: 'retention',
    summary: 'Day-N retention by install cohort',
    description:
      'One entry per install day of the range: the share of its players active on exactly install day + N.',
    query: query({ days: OFFSETS('the N of day-N retention') }),
    list: 'cohorts',
    rows: CohortRow,
    listDescription: 'One entry per install day of the range',
    example: { cohort: '2024-03-01', players: 30, retention: { '1': 0.4, '7': 0.2, '30': null } },
    run: (s, scope, q: { from: string; to: string; days?: string }) => s.insights.retention(scope, q),
    csv: (rows) => retentionCsv(rows as CohortFigures[]),
  },
  {
    name: 'engagement',
    summary: 'Engagement: DAU, WAU, MAU, stickiness, new players, logins per DAU',
    description: 'One entry per UTC day of the range, zeros included.',
    query: query({}),
    list: 'days',
    rows: EngagementRow,
    listDescription: 'One entry per day of the range, zeros included',
    example: {
      day: '2024-03-01',
      dau: 120,
      wau: 400,
      mau: 900,
      stickiness: 0.1333,
      new_players: 30,
      logins: 180,
      logins_per_dau: 1.5,
    },
    run: (s, scope, q: { from: string; to: string }) => s.figures.engagement(scope, q),
  },
  {
    name: 'monetization',
    summary: 'Monetisation: revenue, paying players, ARPDAU, ARPPU, conversion to a first purchase',
    description: 'One entry per UTC day of the range, zeros included.',
    query: query({}),
    list: 'days',
    rows: MonetizationRow,
    listDescription: 'One entry per day of the range, zeros included',
    example: {
      day: '2024-03-01',
      dau: 120,
      revenue: 59.9,
      purchases: 5,
      paying_players: 4,
      arpdau: 0.4992,
      arppu: 14.975,
      first_purchasers: 2,
      conversion: 0.0167,
    },
    run: (s, scope, q: { from: string; to: string }) => s.figures.monetization(scope, q),
  },
  {
    name: 'currencies',
    summary: 'Virtual currency spent, per day and currency',
    description: 'Only the days and currencies with spending, by day then currency.',
    query: query({}),
    list: 'spent',
    rows: NamedRow('The currency', 'mean spend per virtual purchase'),
    listDescription: 'One entry per day and currency with spending',
    example: { day: '2024-03-01', name: 'gold', total: 1200, mean: 40, records: 30, players: 12 },
    run: (s, scope, q: { from: string; to: string }) => s.figures.currencies(scope, q),
  },
  {
    name: 'kpis',
    summary: 'The kpis records: sum and mean of each kpi_id per day',
    description: 'Only the days and KPIs with values, by day then kpi_id.',
    query: query({}),
    list: 'kpis',
    rows: NamedRow('The kpi_id', 'the mean value'),
    listDescription: 'One entry per day and kpi_id with values',
    example: {
      day: '2024-03-01',
      name: 'session_minutes',
      total: 5400,
      mean: 45,
      records: 120,
      players: 120,
    },
    run: (s, scope, q: { from: string; to: string }) => s.figures.kpis(scope, q),
  },
  {
    name: 'churn',
    summary: 'Churn by install cohort: players with no login for churn_days days',
    description: `One entry per install day of the range; churn_days defaults to ${DEFAULT_CHURN_DAYS}.`,
    query: query({
      churn_days: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: MAX_CHURN_DAYS,
          description: `Days without a login (default ${DEFAULT_CHURN_DAYS})`,
        }),
      ),
    }),
    list: 'cohorts',
    rows: ChurnRow,
    listDescription: 'One entry per install day of the range',
    example: { cohort: '2024-03-01', players: 30, churned: 12, churn_rate: 0.4 },
    run: (s, scope, q: { from: string; to: string; churn_days?: number }) => s.figures.churn(scope, q),
  },
  {
    name: 'progression',
    summary: 'Level reached by days since install: median and quartiles',
    description:
      'Over the players installed in the range whose install day + N has come; levels from level-ups and logins.',
    query: query({ days: OFFSETS('days since install') }),
    list: 'points',
    rows: ProgressionRow,
    listDescription: 'One entry per N',
    example: { days_since_install: 7, players: 25, p25: 3, median: 5, p75: 8 },
    run: (s, scope, q: { from: string; to: string; days?: string }) => s.figures.progression(scope, q),
  },
  {
    name: 'personas',
    summary: 'Persona profiles: what sets each persona of the segment apart',
    description:
      "Per persona (all of the segment, or the one named): its D1 and D7 retention, churn rate and ARPDAU over the range against the segment's, then its trait means against the segment's, largest differences first.",
    query: query({}),
    list: 'profiles',
    rows: ProfileRow,
    listDescription: 'Per persona: the KPI rows, then the trait rows by decreasing |difference|',
    example: {
      persona: 1,
      metric: 'retention_d1',
      value: 0.42,
      segment_value: 0.35,
      difference: 0.07,
      players: 120,
      ci_low: 0.34,
      ci_high: 0.51,
    },
    run: (s, scope, q: { from: string; to: string }) => s.personaProfiles.profiles(scope, q),
  },
];

/** `format=csv` or `Accept: text/csv` (and not JSON first): the answer as CSV. */
export function wantsCsv(format: string | undefined, accept = ''): boolean {
  if (format !== undefined) return format === 'csv';
  return /(^|,)\s*text\/csv/i.test(accept) && !/(^|,)\s*application\/json/i.test(accept);
}

/** The answer's rows as a CSV attachment. */
export function sendCsv(
  reply: FastifyReply,
  answer: InsightsAnswer,
  name: string,
  rows: object[],
): FastifyReply {
  const columns = Object.keys(answer.rows.properties);
  const text =
    answer.csv?.(rows) ??
    csvRow(columns) +
      rows.map((r) => csvRow(columns.map((c) => ((r as Row)[c] ?? '') as string | number))).join('');
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}.csv"`)
    .send(text);
}

/** One column per N (`day_1`, …); an empty cell while the day is in the future. */
function retentionCsv(cohorts: readonly CohortFigures[]): string {
  const offsets = Object.keys(cohorts[0]?.retention ?? {});
  const header = csvRow(['cohort', 'players', ...offsets.map((n) => `day_${n}`)]);
  return (
    header +
    cohorts.map((c) => csvRow([c.cohort, c.players, ...offsets.map((n) => c.retention[n] ?? '')])).join('')
  );
}
