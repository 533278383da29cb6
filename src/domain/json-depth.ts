/**
 * How deeply JSON from outside may nest. Parsing is iterative, but everything after it
 * (normalisation, `JSON.stringify`, schema checks) recurses: a body nested thousands deep would
 * overflow the stack. No record the APIs document nests beyond a handful of levels.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `value` has more than `max` levels of objects and arrays (bounded recursion). */
export function nestsDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (nestsDeeperThan((value as Record<string, unknown>)[key], max - 1)) return true;
  }
  return false;
}

/**
 * Where in the JSON text the nesting first passes `max` levels (the offending `[` or `{`), or
 * -1. A character scan, so only run once a cheap walk of the parsed value found the problem.
 */
export function tooDeepPosition(text: string, max: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string: brackets inside it are text.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) i++;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return -1;
}
