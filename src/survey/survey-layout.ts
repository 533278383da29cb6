import { ATTENTION_CHECKS, SCALES, type AttentionCheck, type Item } from './item-bank.js';
import { seededShuffle } from '../domain/seeded-random.js';

/** One statement on a page: a scored item or an attention check. */
export type PageEntry =
  | { kind: 'item'; id: string; text: string; item: Item }
  | { kind: 'check'; id: string; text: string; check: AttentionCheck };

export interface SurveyLayout {
  pages: readonly (readonly PageEntry[])[];
  /** Scored items plus attention checks. */
  entryCount: number;
}

/** Fixed: the same order for every player, so a stored page number means the same statements. */
const ORDER_SEED = 20261122;
const ITEMS_PER_PAGE = 10;
/** 0-based pages that carry an attention check (one each, in the middle of the page). */
const CHECK_PAGES = [3, 9, 15];

/**
 * The survey's pages: every item once, in a fixed shuffled order (so one trait's statements are
 * not side by side), split into pages of at most ten that differ in size by at most one, with an
 * attention check among the statements of pages 4, 10 and 16.
 */
export function buildLayout(
  items: readonly Item[] = SCALES.flatMap((s) => s.items),
  checks: readonly AttentionCheck[] = ATTENTION_CHECKS,
): SurveyLayout {
  const ordered = seededShuffle(items, ORDER_SEED);
  const total = ordered.length + checks.length;
  const pageCount = Math.ceil(total / ITEMS_PER_PAGE);
  const checkAt = new Map<number, AttentionCheck>();
  checks.forEach((check, i) => checkAt.set(CHECK_PAGES[i] ?? pageCount - 1 - i, check));
  const pages: PageEntry[][] = [];
  let next = 0;
  for (let p = 0; p < pageCount; p++) {
    // Spread the remainder over the first pages: sizes differ by at most one.
    const size = Math.floor(total / pageCount) + (p < total % pageCount ? 1 : 0);
    const check = checkAt.get(p);
    const itemCount = check ? size - 1 : size;
    const page: PageEntry[] = ordered
      .slice(next, next + itemCount)
      .map((item) => ({ kind: 'item', id: item.id, text: item.text, item }));
    next += itemCount;
    if (check)
      page.splice(Math.floor(page.length / 2), 0, { kind: 'check', id: check.id, text: check.text, check });
    pages.push(page);
  }
  return { pages, entryCount: total };
}

export const SURVEY_LAYOUT: SurveyLayout = buildLayout();
