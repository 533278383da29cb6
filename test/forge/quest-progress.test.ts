import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestWeekDays,
  hoursPlayed,
  longestRun,
  percentOf,
  playDays,
  questCurrent,
  type QuestRule,
  type Session,
} from '../../src/forge/quest-progress.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1); // a Thursday

/** Reference model: time in whole minutes, checked one minute at a time. */
function minutesIn(s: Session, rule: QuestRule): number[] {
  const out: number[] = [];
  for (let m = s.start; m < s.end; m += MIN) if (m >= rule.startsAt && m < rule.endsAt) out.push(m);
  return out;
}
function refHours(sessions: Session[], rule: QuestRule): number {
  return sessions.reduce((sum, s) => sum + minutesIn(s, rule).length, 0) / 60;
}
function refDays(sessions: Session[], rule: QuestRule): Set<string> {
  const days = new Set<string>();
  for (const s of sessions)
    for (const m of minutesIn(s, rule)) days.add(new Date(m).toISOString().slice(0, 10));
  return days;
}
function refBestWeek(days: Set<string>): number {
  const perWeek = new Map<string, number>();
  for (const d of days) {
    const date = new Date(`${d}T00:00:00Z`);
    const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
    perWeek.set(monday, (perWeek.get(monday) ?? 0) + 1);
  }
  return Math.max(0, ...perWeek.values());
}
function refLongestRun(days: Set<string>): number {
  let best = 0;
  for (const d of days) {
    let n = 0;
    let t = new Date(`${d}T00:00:00Z`).getTime();
    while (days.has(new Date(t).toISOString().slice(0, 10))) {
      n++;
      t += DAY;
    }
    best = Math.max(best, n);
  }
  return best;
}

// Sessions of up to 30 hours inside a 40-day span, on minute boundaries: they cross
// midnights and Monday boundaries often.
const session = fc
  .tuple(fc.integer({ min: 0, max: 40 * 24 * 60 }), fc.integer({ min: 0, max: 30 * 60 }))
  .map(
    ([startMin, lenMin]): Session => ({ start: T0 + startMin * MIN, end: T0 + (startMin + lenMin) * MIN }),
  );
const windowRule = fc
  .tuple(fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 1, max: 40 * 24 }))
  .map(([startH, lenH]) => ({ startsAt: T0 + startH * 3_600_000, endsAt: T0 + (startH + lenH) * 3_600_000 }));

describe('quest maths against a minute-by-minute reference model', () => {
  it('hours played is the sum of session time inside the window', () => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 8 }), windowRule, (sessions, w) => {
        const rule: QuestRule = { type: 'hours_played', target: 1, ...w };
        expect(hoursPlayed(sessions, rule)).toBeCloseTo(refHours(sessions, rule), 6);
      }),
      { numRuns: 150 },
    );
  });

  it('play days, best week and longest run match the reference, in any arrival order', () => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 8 }), windowRule, fc.boolean(), (sessions, w, reverse) => {
        const rule: QuestRule = { type: 'days_in_week', target: 1, ...w };
        const arrived = reverse ? [...sessions].reverse() : sessions;
        const days = playDays([...arrived, ...arrived.slice(0, 2)], rule); // duplicates change nothing
        const ref = refDays(sessions, rule);
        expect(days.length).toBe(ref.size);
        expect(bestWeekDays(days)).toBe(refBestWeek(ref));
        expect(longestRun(days)).toBe(refLongestRun(ref));
      }),
      { numRuns: 150 },
    );
  });
});

describe('quest maths by hand', () => {
  const all = { startsAt: T0 - 30 * DAY, endsAt: T0 + 60 * DAY };
  it('a session crossing midnight counts toward both days', () => {
    const s = { start: T0 + 23 * 3_600_000, end: T0 + 25 * 3_600_000 };
    expect(playDays([s], { type: 'days_in_row', target: 2, ...all })).toHaveLength(2);
    expect(questCurrent({ type: 'days_in_row', target: 2, ...all }, [s], [])).toBe(2);
  });

  it('a week runs Monday to Sunday UTC: Sunday and the next Monday are two weeks', () => {
    const sunday = T0 + 3 * DAY; // 2026-01-04
    const monday = T0 + 4 * DAY;
    const sessions = [sunday, monday].map((d) => ({ start: d + 3_600_000, end: d + 2 * 3_600_000 }));
    expect(questCurrent({ type: 'days_in_week', target: 2, ...all }, sessions, [])).toBe(1);
    expect(questCurrent({ type: 'days_in_row', target: 2, ...all }, sessions, [])).toBe(2);
  });

  it('only play inside the window counts', () => {
    const rule: QuestRule = {
      type: 'hours_played',
      target: 5,
      startsAt: T0 + 10 * 3_600_000,
      endsAt: T0 + 12 * 3_600_000,
    };
    expect(questCurrent(rule, [{ start: T0, end: T0 + 11 * 3_600_000 }], [])).toBe(1);
  });

  it('achievements count distinct titles unlocked inside the window', () => {
    const rule: QuestRule = { type: 'achievements_count', target: 2, ...all };
    const unlocks = [
      { title: 'a', at: T0 },
      { title: 'a', at: T0 + 1 },
      { title: 'b', at: T0 + 2 },
      { title: 'c', at: all.endsAt + 1 },
    ];
    expect(questCurrent(rule, [], unlocks)).toBe(2);
    expect(questCurrent({ type: 'achievement', target: 1, achievementTitle: 'c', ...all }, [], unlocks)).toBe(
      0,
    );
    expect(questCurrent({ type: 'achievement', target: 1, achievementTitle: 'b', ...all }, [], unlocks)).toBe(
      1,
    );
  });

  it('percent is whole and capped at 100', () => {
    expect(percentOf(2.5, 10)).toBe(25);
    expect(percentOf(15, 10)).toBe(100);
  });
});
