/**
 * A figure rounded to `digits` decimals (4 by default: enough for any comparison, short in
 * JSON); null stays null.
 */
export function round(value: number, digits?: number): number;
export function round(value: number | null, digits?: number): number | null;
export function round(value: number | null, digits = 4): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
}
