import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csvRow } from '../domain/csv-cell.js';
import type { CohortFigures, DailyFigures } from '../insights/insights.service.js';
import { MAX_RANGE_DAYS } from '../insights/insights.service.js';
import { StringEnum } from './schemas.js';

/** The query of every insights answer (the 12traits and admin routes share it). */
export const InsightsQuerySchema = Type.Object(
  {
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
  },
  { additionalProperties: false },
);
export const RetentionQuerySchema = Type.Composite(
  [
    InsightsQuerySchema,
    Type.Object({
      days: Type.Optional(
        Type.String({
          maxLength: 200,
          description: 'Comma-separated day offsets N (default 1,7,30), from 0 to 366',
        }),
      ),
    }),
  ],
  { additionalProperties: false },
);
export type InsightsQueryParams = Static<typeof InsightsQuerySchema>;
export type RetentionQueryParams = Static<typeof RetentionQuerySchema>;

export const DailySchema = Type.Object({
  days: Type.Array(
    Type.Object({
      day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
      dau: Type.Integer({ description: 'Players with any record timestamped that day' }),
      new_players: Type.Integer({ description: 'Players whose install day it is' }),
      revenue: Type.Number({ description: "Sum of that day's real-money purchases' price" }),
      paying_players: Type.Integer({ description: 'Players with a real-money purchase that day' }),
      arpdau: Type.Number({ description: 'revenue ÷ dau (0 when dau is 0)' }),
    }),
    { description: 'One entry per day of the range, zeros included' },
  ),
});
export const RetentionSchema = Type.Object({
  cohorts: Type.Array(
    Type.Object({
      cohort: Type.String({ description: 'The install day, YYYY-MM-DD (UTC)' }),
      players: Type.Integer({ description: 'Players whose install day it is' }),
      retention: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), {
        description:
          'By N: the share (0–1) of the cohort active on install day + N; null while that day is in the future',
      }),
    }),
    { description: 'One entry per install day of the range' },
  ),
});

/** `format=csv` or `Accept: text/csv` (and not JSON first): the answer as CSV. */
export function wantsCsv(request: FastifyRequest): boolean {
  const { format } = request.query as { format?: string };
  if (format !== undefined) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /(^|,)\s*text\/csv/i.test(accept) && !/(^|,)\s*application\/json/i.test(accept);
}

export function sendCsv(reply: FastifyReply, name: string, text: string): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(text);
}

export function dailyCsv(days: readonly DailyFigures[]): string {
  const columns = ['day', 'dau', 'new_players', 'revenue', 'paying_players', 'arpdau'] as const;
  return csvRow(columns) + days.map((d) => csvRow(columns.map((c) => d[c]))).join('');
}

/** One column per N (`day_1`, …); an empty cell while the day is in the future. */
export function retentionCsv(cohorts: readonly CohortFigures[]): string {
  const offsets = Object.keys(cohorts[0]?.retention ?? {});
  const header = csvRow(['cohort', 'players', ...offsets.map((n) => `day_${n}`)]);
  return (
    header +
    cohorts.map((c) => csvRow([c.cohort, c.players, ...offsets.map((n) => c.retention[n] ?? '')])).join('')
  );
}
