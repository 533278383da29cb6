/** UTC days as whole days since 1970-01-01: what the rollups store, so day arithmetic is integer. */
const DAY_MS = 86_400_000;

/** "2024-03-01" → its day number (the text must already be a valid date). */
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Day number → "2024-03-01". */
export function dayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The UTC day of an instant. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
