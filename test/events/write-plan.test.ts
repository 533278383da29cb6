import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormalizedRow } from '../../src/events/normalize.js';
import { PROFILE_COLUMNS, profileRounds, type ProfileUpdate } from '../../src/events/write-plan.js';

type Value = string | number | null;
interface Profile {
  lastLoginAt: number | null;
  values: Value[];
}

const login = (userId: string, ts: number, fields: Partial<Record<string, Value>>): NormalizedRow => ({
  userId,
  ts,
  values: [...PROFILE_COLUMNS.map((c) => fields[c] ?? null), null],
  extra: null,
});

/** What `profileMergeSql` does to one stored player (or a new one), in JavaScript. */
function merge(stored: Profile | undefined, update: ProfileUpdate): Profile {
  if (!stored) return { lastLoginAt: update.loginAt, values: update.values };
  const newer = stored.lastLoginAt === null || update.loginAt >= stored.lastLoginAt;
  return {
    lastLoginAt: newer ? update.loginAt : stored.lastLoginAt,
    values: update.values.map((v, i) => (newer ? (v ?? stored.values[i]!) : (stored.values[i] ?? v))),
  };
}

/** The contract: each field holds the value of the latest login carrying it (stored values dated lastLoginAt). */
function expected(stored: Profile | undefined, logins: NormalizedRow[]): Profile {
  const latest = Math.max(...logins.map((l) => l.ts), stored?.lastLoginAt ?? -Infinity);
  const values = PROFILE_COLUMNS.map((_, i) => {
    let best: { at: number; value: Value } | undefined;
    for (const l of logins)
      if (l.values[i] !== null && (!best || l.ts >= best.at)) best = { at: l.ts, value: l.values[i]! };
    const mine = stored?.values[i] ?? null;
    if (!best) return mine;
    if (mine === null || stored?.lastLoginAt === null || best.at >= (stored?.lastLoginAt ?? -Infinity))
      return best.value;
    return mine;
  });
  return { lastLoginAt: latest, values };
}

function apply(stored: Map<string, Profile>, rows: NormalizedRow[]): Map<string, Profile> {
  const result = new Map(stored);
  for (const round of profileRounds(rows)) {
    expect(new Set(round.map((u) => u.userId)).size).toBe(round.length); // one upsert statement per round
    for (const update of round) result.set(update.userId, merge(result.get(update.userId), update));
  }
  return result;
}

describe('profileRounds (how a batch of logins updates player profiles)', () => {
  it('is one round of one update per user for the common batch', () => {
    const rounds = profileRounds([login('b', 2, { level: 3 }), login('a', 1, { device: 'X', level: 1 })]);
    expect(rounds).toHaveLength(1);
    expect(rounds[0]!.map((u) => u.userId)).toEqual(['a', 'b']);
  });

  it('a newer stored profile keeps its fields against an older login of the batch', () => {
    const stored = new Map([
      ['p', { lastLoginAt: 2020, values: PROFILE_COLUMNS.map((c) => (c === 'device' ? 'D2020' : null)) }],
    ]);
    const batch = [login('p', 2019, { device: 'D2019', clan_id: 'c1' }), login('p', 2021, { level: 5 })];
    const after = apply(stored, batch).get('p')!;
    expect(after.lastLoginAt).toBe(2021);
    expect(Object.fromEntries(PROFILE_COLUMNS.map((c, i) => [c, after.values[i]]))).toMatchObject({
      device: 'D2020',
      clan_id: 'c1',
      level: 5,
    });
  });

  it('matches "latest login carrying the field wins" for any stored profile and batch', () => {
    const value = fc.option(fc.constantFrom('x', 'y', 7), { nil: null });
    const fields = fc.record({ device: value, level: value, clan_id: value });
    const time = fc.integer({ min: 1, max: 6 });
    const row = fc.tuple(fc.constantFrom('u1', 'u2'), time, fields).map(([u, ts, f]) => login(u, ts, f));
    const profile = fc.option(
      fc.record({
        lastLoginAt: fc.option(time, { nil: null }),
        values: fc.array(value, { minLength: 7, maxLength: 7 }),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(profile, fc.array(row, { minLength: 1, maxLength: 6 }), (stored, rows) => {
        const before = new Map(stored ? [['u1', stored]] : []);
        const after = apply(before, rows);
        for (const user of new Set(rows.map((r) => r.userId!))) {
          expect(after.get(user)).toEqual(
            expected(
              before.get(user),
              rows.filter((r) => r.userId === user),
            ),
          );
        }
      }),
    );
  });
});
