import type { Environment } from '../domain/records.js';
import { AppError, type FieldError } from '../errors.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { CATEGORY_NAMES, TRAIT_CATEGORIES } from '../survey/trait-catalogue.js';
import type { TraitImportRepository } from './trait-import.repository.js';

/** Players per import request: the ingestion batch limit. */
export const MAX_IMPORT_PLAYERS = 1_000;
const MAX_USER_ID = 256;

export interface ImportResult {
  /** Players whose imported scores are stored. */
  imported: number;
  /** Players left with their completed survey's scores (a survey wins over an import). */
  kept_survey: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every mistake of one player: user id, then every category and trait of the documented traits
 * response (each required, a number 0–100), nothing else.
 */
function playerErrors(player: unknown, index: number): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string | null, message: string) => errors.push({ index, field, message });
  if (!isRecord(player)) {
    add(null, 'must be an object {"user_id": "…", "traits": {…}}');
    return errors;
  }
  const userId = player.user_id;
  if (userId === undefined) add('user_id', 'is required');
  else if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID)
    add('user_id', `must be a string of 1 to ${MAX_USER_ID} characters`);
  for (const key of Object.keys(player))
    if (key !== 'user_id' && key !== 'traits') add(key, 'is not a field of an imported player');
  const traits = player.traits;
  if (traits === undefined) add('traits', 'is required');
  else if (!isRecord(traits)) add('traits', 'must be an object {<category>: {<Trait>: 0–100}}');
  else {
    for (const category of Object.keys(traits))
      if (!(category in TRAIT_CATEGORIES))
        add(`traits.${category}`, 'is not a category of the traits response');
    for (const category of CATEGORY_NAMES) {
      const scores = traits[category];
      const names: readonly string[] = TRAIT_CATEGORIES[category];
      if (scores === undefined) add(`traits.${category}`, 'is required');
      else if (!isRecord(scores)) add(`traits.${category}`, 'must be an object {<Trait>: 0–100}');
      else {
        for (const trait of Object.keys(scores))
          if (!names.includes(trait)) add(`traits.${category}.${trait}`, `is not a trait of ${category}`);
        for (const trait of names) {
          const value = scores[trait];
          if (value === undefined) add(`traits.${category}.${trait}`, 'is required');
          else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100)
            add(`traits.${category}.${trait}`, 'must be a number from 0 to 100');
        }
      }
    }
  }
  return errors;
}

/** Every mistake of every player, in player order, a repeated user id included (the CLI checks a whole file). */
export function importErrors(players: readonly unknown[]): FieldError[] {
  const errors = players.flatMap((player, index) => playerErrors(player, index));
  const seen = new Map<string, number>();
  players.forEach((player, index) => {
    const userId = isRecord(player) ? player.user_id : undefined;
    if (typeof userId !== 'string') return;
    const first = seen.get(userId);
    if (first === undefined) seen.set(userId, index);
    else errors.push({ index, field: 'user_id', message: `repeats the user id of player ${first}` });
  });
  return errors.sort((a, b) => a.index - b.index);
}

/**
 * Trait scores measured elsewhere, imported so a studio moving from another vendor keeps its
 * players' results. All or nothing; the scores then feed personas exactly like the survey's.
 */
export class TraitImportService {
  constructor(
    private readonly repo: TraitImportRepository,
    private readonly tenancy: TenancyService,
    private readonly onImported: (dashboardId: string, environment: Environment) => void,
  ) {}

  /** Checks every player; throws with every invalid one listed, or stores them all. */
  async import(dashboardId: string, environment: Environment, players: unknown): Promise<ImportResult> {
    await this.tenancy.getDashboard(dashboardId);
    if (!Array.isArray(players) || players.length === 0)
      throw new AppError('bad_request', 'players must be an array of 1 to 1000 players');
    if (players.length > MAX_IMPORT_PLAYERS)
      throw new AppError(
        'payload_too_large',
        `${players.length} players is more than ${MAX_IMPORT_PLAYERS} per request: split the import`,
      );
    const errors = importErrors(players);
    if (errors.length > 0) {
      const invalid = new Set(errors.map((e) => e.index)).size;
      throw new AppError(
        'invalid_records',
        `${invalid} of ${players.length} players are invalid; nothing was imported`,
        { errors },
      );
    }
    const rows = (players as { user_id: string; traits: Record<string, Record<string, number>> }[]).map(
      (p) => ({
        userId: p.user_id,
        scores: JSON.stringify(canonical(p.traits)),
      }),
    );
    const result = await this.repo.write(dashboardId, environment, rows, Date.now());
    if (result.imported > 0) this.onImported(dashboardId, environment);
    return { imported: result.imported, kept_survey: result.surveyed.length };
  }
}

/** The scores in the documented order (the stored shape the survey writes). */
function canonical(traits: Record<string, Record<string, number>>) {
  return Object.fromEntries(
    CATEGORY_NAMES.map((category) => [
      category,
      Object.fromEntries(TRAIT_CATEGORIES[category].map((trait) => [trait, traits[category]![trait]!])),
    ]),
  );
}
