import { Type, type Static } from '@sinclair/typebox';
import { parseTimestamp } from '../domain/timestamp.js';
import { schemaErrors } from '../ingest/validate.js';
import { IdentityError, identityKey, readIdentity } from './identity.js';

/** One schema per Forge record (validation, OpenAPI, docs); identities are checked by `identity.ts`. */
const IdentityFields = {
  record_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 128 }), Type.Integer()], {
      description: 'Names the record in errors',
    }),
  ),
  user_email: Type.Optional(
    Type.String({ maxLength: 254, description: 'The player e-mail (compared case-insensitively)' }),
  ),
  wallet_address: Type.Optional(Type.String({ maxLength: 128, description: 'With blockchain' })),
  blockchain: Type.Optional(
    Type.String({ maxLength: 32, description: 'avalanche, base, ethereum, polygon, ronin, solana or sui' }),
  ),
  platform: Type.Optional(
    Type.String({ maxLength: 32, description: 'steam, xbox, psn, epic, discord, …; with platform_user_id' }),
  ),
  platform_user_id: Type.Optional(Type.String({ maxLength: 256 })),
};

export const PlaytimeSchema = Type.Object(
  {
    last_time_played: Type.Union([Type.String({ maxLength: 40 }), Type.Number()], {
      description: 'End of the session, "YYYY-MM-DD HH:MM:SS" UTC',
    }),
    total_hours: Type.Number({ minimum: 0, maximum: 8760, description: 'Length of the session in hours' }),
    ...IdentityFields,
  },
  {
    examples: [
      { last_time_played: '2022-12-16 12:00:00', total_hours: 10.2, user_email: 'player@example.com' },
    ],
  },
);

export const AchievementSchema = Type.Object(
  {
    achievement_title: Type.String({ minLength: 1, maxLength: 256 }),
    achievement_description: Type.Optional(Type.String({ maxLength: 2048 })),
    unlocked: Type.Optional(Type.Boolean({ description: 'Default true' })),
    unlock_time: Type.Optional(
      Type.Union([Type.String({ maxLength: 40 }), Type.Number()], { description: 'Epoch seconds' }),
    ),
    ...IdentityFields,
  },
  {
    examples: [
      {
        achievement_title: 'Sample achievement title',
        achievement_description: 'Optional: Achievement description',
        unlock_time: '1508053252',
        unlocked: true,
        user_email: 'player@example.com',
      },
    ],
  },
);

export type PlaytimeRecord = Static<typeof PlaytimeSchema>;
export type AchievementRecord = Static<typeof AchievementSchema>;

export interface RecordError {
  record_id: string;
  message: string;
}

export interface ValidSession {
  recordId: string | null;
  identityKey: string;
  startedAt: number;
  endedAt: number;
  hours: number;
}

export interface ValidAchievement {
  recordId: string | null;
  identityKey: string;
  title: string;
  description: string | null;
  unlocked: boolean;
  unlockTime: number;
}

const HOUR_MS = 3_600_000;

/** Checks each record on its own: valid ones go on even when others fail. */
function eachRecord<T>(
  records: readonly unknown[],
  schema: typeof PlaytimeSchema | typeof AchievementSchema,
  read: (record: Record<string, unknown>) => T,
): { valid: T[]; errors: RecordError[] } {
  const valid: T[] = [];
  const errors: RecordError[] = [];
  const schemaFailures = schemaErrors(schema, records);
  records.forEach((record, index) => {
    const own = (record as { record_id?: unknown } | null)?.record_id;
    const recordId = typeof own === 'string' || typeof own === 'number' ? String(own) : String(index + 1);
    const failure = schemaFailures.find((e) => e.index === index);
    if (failure) {
      errors.push({
        record_id: recordId,
        message:
          failure.field === null
            ? `Invalid record: ${failure.message}.`
            : `Invalid ${failure.field}: ${failure.message}.`,
      });
      return;
    }
    try {
      valid.push(read(record as Record<string, unknown>));
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      errors.push({ record_id: recordId, message: error.message });
    }
  });
  return { valid, errors };
}

export function readSessions(records: readonly unknown[]): { valid: ValidSession[]; errors: RecordError[] } {
  return eachRecord(records, PlaytimeSchema, (record) => {
    const r = record as PlaytimeRecord;
    const identity = identityKey(readIdentity(record));
    const endedAt = parseTimestamp(r.last_time_played);
    if (endedAt === undefined)
      throw new IdentityError(
        'last_time_played',
        'Invalid last_time_played: use "YYYY-MM-DD HH:MM:SS" (UTC).',
      );
    return {
      recordId: r.record_id === undefined ? null : String(r.record_id),
      identityKey: identity,
      startedAt: endedAt - Math.round(r.total_hours * HOUR_MS),
      endedAt,
      hours: r.total_hours,
    };
  });
}

export function readAchievements(
  records: readonly unknown[],
  receivedAt: number,
): { valid: ValidAchievement[]; errors: RecordError[] } {
  return eachRecord(records, AchievementSchema, (record) => {
    const r = record as AchievementRecord;
    const identity = identityKey(readIdentity(record));
    let unlockTime = receivedAt;
    if (r.unlock_time !== undefined && r.unlock_time !== '') {
      const parsed = parseTimestamp(r.unlock_time);
      if (parsed === undefined)
        throw new IdentityError('unlock_time', 'Invalid unlock_time: use epoch seconds.');
      unlockTime = parsed;
    }
    return {
      recordId: r.record_id === undefined ? null : String(r.record_id),
      identityKey: identity,
      title: r.achievement_title.trim(),
      description: r.achievement_description ?? null,
      unlocked: r.unlocked ?? true,
      unlockTime,
    };
  });
}
