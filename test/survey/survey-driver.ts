import type { FastifyInstance } from 'fastify';
import { ATTENTION_CHECKS, ITEMS } from '../../src/survey/item-bank.js';

/** Test helpers to read the survey's HTML and answer it the way a given player would. */

const BY_ID = new Map(ITEMS.map((i) => [i.id, i] as const));
const CHECKS = new Map(ATTENTION_CHECKS.map((c) => [c.id, c]));

export interface ParsedPage {
  page: number;
  nonce: string;
  entryIds: string[];
}

/** The hidden fields and the statements' ids of a survey page's HTML. */
export function parsePage(html: string): ParsedPage {
  const page = /name="page" value="(\d+)"/.exec(html);
  const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html);
  if (!page || !nonce) throw new Error(`not a survey page: ${html.slice(0, 300)}`);
  const entryIds = [...new Set([...html.matchAll(/name="a_([a-z0-9]+)"/g)].map((m) => m[1]!))];
  return { page: Number(page[1]), nonce: nonce[1]!, entryIds };
}

/**
 * The answer that makes every keyed value `keyed` (4 → "Agree" to plain statements and
 * "Disagree" to reversed ones: every trait then scores 75), and the asked-for answer to
 * attention checks (or a wrong one when `failChecks`).
 */
export function answerFor(entryId: string, keyed = 4, failChecks = false): number {
  const check = CHECKS.get(entryId);
  if (check) return failChecks ? (check.expected === 5 ? 1 : 5) : check.expected;
  const item = BY_ID.get(entryId);
  if (!item) throw new Error(`unknown entry ${entryId}`);
  return item.reverse ? 6 - keyed : keyed;
}

/** The first page's form: the player agrees to take part. */
export const CONSENT_FORM = 'consent_form=1&consent=yes';

/** A page's form body, url-encoded. */
export function pageForm(parsed: ParsedPage, answer: (entryId: string) => number | undefined): string {
  const form = new URLSearchParams({ page: String(parsed.page), nonce: parsed.nonce });
  for (const id of parsed.entryIds) {
    const value = answer(id);
    if (value !== undefined) form.set(`a_${id}`, String(value));
  }
  return form.toString();
}

/**
 * Takes a player's survey through the page (GET, then POST each page's form) for `pages` pages,
 * all of them by default, answering `keyed` everywhere (or failing the checks when asked). The
 * first page's consent is given on the way and does not count as a page.
 */
export async function takeSurvey(
  app: FastifyInstance,
  token: string,
  options: { pages?: number; keyed?: number; failChecks?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < (options.pages ?? Infinity); i++) {
    let body = (await app.inject({ method: 'GET', url: `/survey?playerid=${token}` })).body;
    if (body.includes('name="consent_form"')) {
      await app.inject({
        method: 'POST',
        url: `/survey?playerid=${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: CONSENT_FORM,
      });
      body = (await app.inject({ method: 'GET', url: `/survey?playerid=${token}` })).body;
    }
    if (!body.includes('name="nonce"')) return;
    const res = await app.inject({
      method: 'POST',
      url: `/survey?playerid=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: pageForm(parsePage(body), (id) => answerFor(id, options.keyed ?? 4, options.failChecks)),
    });
    if (res.statusCode !== 303) throw new Error(`survey page ${i + 1}: ${res.statusCode} ${res.body}`);
  }
}
