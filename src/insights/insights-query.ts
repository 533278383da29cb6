import { parseDate } from '../domain/timestamp.js';
import { AppError } from '../errors.js';
import type { SegmentService } from '../personas/segments.service.js';
import type { Audience, Scope } from './audience.js';
import { dayNumber } from './days.js';

/** The longest range one answer covers (a year, leap day included). */
export const MAX_RANGE_DAYS = 366;
/** Day-N offsets of a retention answer: at most this many, each from 0 to MAX_RANGE_DAYS. */
export const MAX_RETENTION_OFFSETS = 32;
export const DEFAULT_RETENTION_OFFSETS = [1, 7, 30] as const;

/** What every insights question names: the range (inclusive, UTC days), segment and persona. */
export interface InsightsQuery {
  from: string;
  to: string;
  segment?: string | undefined;
  persona?: string | undefined;
}

/** The range as day numbers and the audience, or the caller's mistake as a 400/404. */
export async function resolveQuery(
  segments: SegmentService,
  scope: Scope,
  query: InsightsQuery,
): Promise<{ from: number; to: number; audience: Audience }> {
  const fromText = parseDate(query.from);
  const toText = parseDate(query.to);
  if (fromText === undefined)
    throw new AppError('bad_request', `from must be a date YYYY-MM-DD; got "${query.from}"`);
  if (toText === undefined)
    throw new AppError('bad_request', `to must be a date YYYY-MM-DD; got "${query.to}"`);
  const from = dayNumber(fromText);
  const to = dayNumber(toText);
  if (to < from) throw new AppError('bad_request', `to (${toText}) must not be before from (${fromText})`);
  if (to - from + 1 > MAX_RANGE_DAYS)
    throw new AppError(
      'bad_request',
      `the range covers ${to - from + 1} days; at most ${MAX_RANGE_DAYS} are allowed`,
    );
  const segment = await segments.get(scope.dashboardId, query.segment ?? 'default');
  return { from, to, audience: { segmentId: segment.id, persona: personaOf(query.persona ?? 'all') } };
}
/** "all", "none" or a persona number from 1. */
export function personaOf(text: string): Audience['persona'] {
  if (text === 'all' || text === 'none') return text;
  if (!/^[1-9]\d{0,8}$/.test(text))
    throw new AppError('bad_request', `persona must be all, none or a persona number from 1; got "${text}"`);
  return Number(text);
}

/** "1,7,30" → [1, 7, 30]: distinct whole days from 0 to MAX_RANGE_DAYS, in the order given. */
export function retentionOffsets(text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_RETENTION_OFFSETS];
  const parts = text.split(',').map((p) => p.trim());
  const offsets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > MAX_RANGE_DAYS)
      throw new AppError(
        'bad_request',
        `days must be a comma-separated list of whole days from 0 to ${MAX_RANGE_DAYS}; got "${part}"`,
      );
    if (!offsets.includes(Number(part))) offsets.push(Number(part));
  }
  if (offsets.length > MAX_RETENTION_OFFSETS)
    throw new AppError(
      'bad_request',
      `days lists ${offsets.length} values; at most ${MAX_RETENTION_OFFSETS} are allowed`,
    );
  return offsets;
}
