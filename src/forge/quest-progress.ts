/**
 * Quest maths, pure: what counts toward a quest from a player's sessions and achievements.
 * Times are epoch ms; days are UTC day numbers (days since 1970-01-01, a Thursday).
 */
export const QUEST_TYPES = [
  'hours_played',
  'days_in_week',
  'days_in_row',
  'achievement',
  'achievements_count',
] as const;
export type QuestType = (typeof QUEST_TYPES)[number];

export interface Session {
  /** Start of play: end − hours. */
  start: number;
  /** `last_time_played`: the session's end. */
  end: number;
}

export interface Unlock {
  title: string;
  at: number;
}

export interface QuestRule {
  type: QuestType;
  target: number;
  achievementTitle?: string | null;
  startsAt: number;
  endsAt: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The part of a session inside the quest window, or undefined when none of it is. */
function clip(session: Session, rule: QuestRule): Session | undefined {
  const start = Math.max(session.start, rule.startsAt);
  const end = Math.min(session.end, rule.endsAt);
  return end > start ? { start, end } : undefined;
}

/** Hours played inside the window: the sum of each session's part in it. */
export function hoursPlayed(sessions: readonly Session[], rule: QuestRule): number {
  let ms = 0;
  for (const s of sessions) {
    const part = clip(s, rule);
    if (part) ms += part.end - part.start;
  }
  return ms / HOUR_MS;
}

/** UTC days with play inside the window: a session counts toward every day it overlaps. */
export function playDays(sessions: readonly Session[], rule: QuestRule): number[] {
  const days = new Set<number>();
  for (const s of sessions) {
    const part = clip(s, rule);
    if (!part) continue;
    const last = Math.floor((part.end - 1) / DAY_MS);
    for (let day = Math.floor(part.start / DAY_MS); day <= last; day++) days.add(day);
  }
  return [...days].sort((a, b) => a - b);
}

/** Monday-to-Sunday UTC week of a day number (day 0, 1970-01-01, was a Thursday). */
export function weekOf(day: number): number {
  return Math.floor((day + 3) / 7);
}

/** The best week so far: most distinct play days within one Monday–Sunday UTC week. */
export function bestWeekDays(days: readonly number[]): number {
  const perWeek = new Map<number, number>();
  let best = 0;
  for (const day of days) {
    const n = (perWeek.get(weekOf(day)) ?? 0) + 1;
    perWeek.set(weekOf(day), n);
    best = Math.max(best, n);
  }
  return best;
}

/** The longest run of consecutive UTC play days so far (days sorted ascending, distinct). */
export function longestRun(days: readonly number[]): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < days.length; i++) {
    run = i > 0 && days[i] === days[i - 1]! + 1 ? run + 1 : 1;
    best = Math.max(best, run);
  }
  return best;
}

/** Distinct achievement titles unlocked inside the window. */
export function unlockedTitles(unlocks: readonly Unlock[], rule: QuestRule): Set<string> {
  return new Set(unlocks.filter((u) => u.at >= rule.startsAt && u.at < rule.endsAt).map((u) => u.title));
}

/** The current value of a quest's measure for one player. */
export function questCurrent(
  rule: QuestRule,
  sessions: readonly Session[],
  unlocks: readonly Unlock[],
): number {
  switch (rule.type) {
    case 'hours_played':
      return hoursPlayed(sessions, rule);
    case 'days_in_week':
      return bestWeekDays(playDays(sessions, rule));
    case 'days_in_row':
      return longestRun(playDays(sessions, rule));
    case 'achievement':
      return unlockedTitles(unlocks, rule).has(rule.achievementTitle ?? '') ? 1 : 0;
    case 'achievements_count':
      return unlockedTitles(unlocks, rule).size;
  }
}

/** Progress as partners read it: percent is whole, capped at 100. */
export function percentOf(current: number, target: number): number {
  return target <= 0 ? 100 : Math.min(100, Math.floor((current / target) * 100));
}
