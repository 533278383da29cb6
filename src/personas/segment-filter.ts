import { Type, type Static } from '@sinclair/typebox';
import type { EventScope, EventStore, IdPage, SegmentCriteria } from '../events/event-store.js';
import { parseTimestamp } from '../domain/timestamp.js';
import { AppError } from '../errors.js';

const Values = (description: string) =>
  Type.Optional(
    Type.Union(
      [
        Type.String({ minLength: 1, maxLength: 64 }),
        Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }),
      ],
      { description },
    ),
  );
/** Levels are 32-bit integer columns: a bound past them could not be compared in SQL. */
const MAX_LEVEL = 2_147_483_647;
const Level = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LEVEL, description }));
const Spend = (description: string) => Type.Optional(Type.Number({ minimum: 0, description }));
const Since = (description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Number()], { description }));

/** A custom segment's filter: every given condition must hold (AND); an empty filter is every player. */
export const SegmentFilterSchema = Type.Object(
  {
    country: Values('ISO country code(s) of the login profile, any case'),
    platform: Values('Platform(s) of the login profile, any case'),
    language: Values('Language tag(s): "en" also matches "en-US"'),
    level_min: Level('Profile level at least'),
    level_max: Level('Profile level at most'),
    payer: Type.Optional(
      Type.Boolean({ description: 'Has (true) or has not (false) made a real-money purchase' }),
    ),
    spend_min: Spend('Real-money spend (sum of prices) at least'),
    spend_max: Spend('Real-money spend at most'),
    active_since: Since('Last login at or after this time (timestamp or YYYY-MM-DD)'),
    registered_since: Since('register_date (else first seen) on or after this date'),
  },
  { additionalProperties: false, examples: [{ country: ['US', 'CA'], payer: true, level_min: 10 }] },
);
export type SegmentFilter = Static<typeof SegmentFilterSchema>;

const list = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

function since(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTimestamp(value);
  if (ms === undefined)
    throw new AppError(
      'bad_request',
      `filter.${name} must be a timestamp: "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", ISO 8601 or epoch seconds`,
    );
  return ms;
}

/**
 * JSON can write numbers no filter can hold: `1e400` parses as Infinity, which passes a JSON
 * schema's integer and minimum checks. Every caller (API, dashboard, CLI) passes through here.
 */
function checkBounds(filter: SegmentFilter): void {
  const bounds = [
    ['level_min', filter.level_min, MAX_LEVEL],
    ['level_max', filter.level_max, MAX_LEVEL],
    ['spend_min', filter.spend_min, Number.MAX_SAFE_INTEGER],
    ['spend_max', filter.spend_max, Number.MAX_SAFE_INTEGER],
  ] as const;
  for (const [name, value, max] of bounds) {
    if (value === undefined) continue;
    if (
      !Number.isFinite(value) ||
      value < 0 ||
      value > max ||
      (name.startsWith('level') && !Number.isInteger(value))
    )
      throw new AppError(
        'bad_request',
        `filter.${name} must be a ${name.startsWith('level') ? 'whole ' : ''}number from 0 to ${max}`,
      );
  }
}

/** The filter's mistakes a schema cannot see (bounds in the wrong order, unreadable dates). */
export function checkFilter(filter: SegmentFilter): void {
  checkBounds(filter);
  if (filter.level_min !== undefined && filter.level_max !== undefined && filter.level_min > filter.level_max)
    throw new AppError('bad_request', 'filter.level_min must not be greater than filter.level_max');
  if (filter.spend_min !== undefined && filter.spend_max !== undefined && filter.spend_min > filter.spend_max)
    throw new AppError('bad_request', 'filter.spend_min must not be greater than filter.spend_max');
  since('active_since', filter.active_since);
  since('registered_since', filter.registered_since);
}

/** The filter in the event store's neutral form (bounds already checked by `checkFilter`). */
export function segmentCriteria(filter: SegmentFilter): SegmentCriteria {
  const country = list(filter.country)?.map((c) => c.toUpperCase());
  const platform = list(filter.platform)?.map((c) => c.toLowerCase());
  const language = list(filter.language)?.map((c) => c.toLowerCase());
  const lastLoginFrom = since('active_since', filter.active_since);
  const registeredFrom = since('registered_since', filter.registered_since);
  return {
    ...(country && { countries: country }),
    ...(platform && { platforms: platform }),
    ...(language && { languages: language }),
    ...(filter.level_min !== undefined && { levelMin: filter.level_min }),
    ...(filter.level_max !== undefined && { levelMax: filter.level_max }),
    ...(filter.payer !== undefined && { payer: filter.payer }),
    ...(filter.spend_min !== undefined && { spendMin: filter.spend_min }),
    ...(filter.spend_max !== undefined && { spendMax: filter.spend_max }),
    ...(lastLoginFrom !== undefined && { lastLoginFrom }),
    ...(registeredFrom !== undefined && { registeredFrom }),
  };
}

/**
 * The user ids of a scope's players matching the filter (the event store evaluates it over the
 * login profile and real-money spend); with `page`, one page of them in user id order (the
 * user-ids endpoint lists a segment live, not as of the last recompute).
 */
export function segmentUserIds(
  events: EventStore,
  scope: EventScope,
  filter: SegmentFilter,
  page?: IdPage,
): Promise<string[]> {
  return events.segmentMembers(scope, segmentCriteria(filter), page);
}
