import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { AppError } from '../errors.js';
import { csvLines } from '../files/csv-stream.js';
import { importErrors, MAX_IMPORT_PLAYERS } from '../personas/trait-import.service.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines } from './output.js';

/** One player read from the file, or why its line could not be read. */
type Read = { line: number; player: unknown } | { line: number; error: string };

/** NDJSON: one `{"user_id", "traits"}` object per line (blank lines skipped). */
async function* ndjsonPlayers(file: string): AsyncGenerator<Read> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, player: JSON.parse(text) as unknown };
    } catch (error) {
      yield { line, error: `is not JSON: ${(error as Error).message}` };
    }
  }
}

/**
 * CSV: a header `user_id,<category>.<Trait>,…` (one column per trait of the traits response),
 * then one player per row; an empty cell is a missing score, a cell that is not a number stays
 * text so the check names it.
 */
async function* csvPlayers(file: string): AsyncGenerator<Read> {
  const skipped: Read[] = [];
  let header: string[] | undefined;
  for await (const { line, fields } of csvLines(createReadStream(file), (skip) =>
    skipped.push({ line: skip.line, error: skip.message }),
  )) {
    yield* skipped.splice(0);
    if (!header) {
      header = fields.map((f) => f.trim());
      if (header[0] !== 'user_id')
        throw new AppError(
          'bad_request',
          `${file}: the header must start with user_id, then <category>.<Trait> columns`,
        );
      continue;
    }
    const traits: Record<string, Record<string, unknown>> = {};
    header.slice(1).forEach((column, i) => {
      const cell = fields[i + 1]?.trim() ?? '';
      if (cell === '') return;
      const dot = column.indexOf('.');
      const category = dot < 0 ? column : column.slice(0, dot);
      const number = Number(cell);
      (traits[category] ??= {})[column.slice(dot + 1)] = Number.isFinite(number) ? number : cell;
    });
    yield { line, player: { user_id: fields[0] ?? '', traits } };
  }
  yield* skipped;
}

const readPlayers = (file: string) => (/\.csv$/i.test(file) ? csvPlayers(file) : ndjsonPlayers(file));

/** The file's players in batches of at most MAX_IMPORT_PLAYERS, with their lines. */
async function* batches(
  file: string,
): AsyncGenerator<{ lines: number[]; players: unknown[]; unread: Read[] }> {
  let batch = { lines: [] as number[], players: [] as unknown[], unread: [] as Read[] };
  for await (const read of readPlayers(file)) {
    if ('error' in read) batch.unread.push(read);
    else {
      batch.lines.push(read.line);
      batch.players.push(read.player);
    }
    if (batch.players.length === MAX_IMPORT_PLAYERS) {
      yield batch;
      batch = { lines: [], players: [], unread: [] };
    }
  }
  if (batch.players.length > 0 || batch.unread.length > 0) yield batch;
}

/** Every mistake of the file, by line: the whole file is checked before anything is written. */
async function fileErrors(file: string): Promise<{ line: number; field: string | null; message: string }[]> {
  const errors: { line: number; field: string | null; message: string }[] = [];
  const firstLine = new Map<string, number>();
  let players = 0;
  for await (const batch of batches(file)) {
    players += batch.players.length;
    for (const unread of batch.unread)
      errors.push({ line: unread.line, field: null, message: (unread as { error: string }).error });
    for (const e of importErrors(batch.players)) {
      // Repeats within a batch are found again below, across the whole file.
      if (!e.message.startsWith('repeats'))
        errors.push({ line: batch.lines[e.index]!, field: e.field, message: e.message });
    }
    batch.players.forEach((player, i) => {
      const userId = (player as { user_id?: unknown }).user_id;
      if (typeof userId !== 'string') return;
      const first = firstLine.get(userId);
      if (first === undefined) firstLine.set(userId, batch.lines[i]!);
      else
        errors.push({
          line: batch.lines[i]!,
          field: 'user_id',
          message: `repeats the user id of line ${first}`,
        });
    });
  }
  if (players === 0 && errors.length === 0)
    throw new AppError('bad_request', `${path.basename(file)} holds no players`);
  return errors.sort((a, b) => a.line - b.line);
}

const traitsImport: CommandSpec = {
  name: 'traits import',
  summary: 'Import trait scores measured elsewhere from a CSV or NDJSON file (a survey wins over them)',
  details: [
    'NDJSON (.ndjson, .jsonl, .json): one {"user_id": "…", "traits": {<category>: {<Trait>: 0–100}}} per line.',
    'CSV (.csv): a header user_id,<category>.<Trait>,… with every trait of the traits response, one player per row.',
    'The whole file is checked first: with any mistake nothing is imported and every one is listed by line.',
    'Then the players are written in batches of 1,000, as POST /admin/v1/dashboards/:id/trait-scores does.',
    'With --json prints {imported, kept_survey} (or {errors: [{line, field, message}]}).',
  ],
  args: [{ name: 'file', description: 'The CSV or NDJSON file' }],
  options: {
    dashboard: DASHBOARD_OPTION,
    environment: {
      type: 'string',
      choices: ENVIRONMENTS,
      default: 'production',
      description: 'production or sandbox (default production)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const file = path.resolve(args.positional('file'));
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new AppError('not_found', `no such file: ${args.positional('file')}`);
    const dashboardId = args.string('dashboard')!;
    const environment = args.string('environment') as Environment;
    const result = await withContext(async ({ services }) => {
      await services.tenancy.getDashboard(dashboardId);
      const errors = await fileErrors(file);
      if (errors.length > 0) return { errors };
      const total = { imported: 0, kept_survey: 0 };
      for await (const batch of batches(file)) {
        if (batch.players.length === 0) continue;
        const done = await services.traitImport.import(dashboardId, environment, batch.players);
        total.imported += done.imported;
        total.kept_survey += done.kept_survey;
      }
      return total;
    });
    if ('errors' in result) {
      if (args.flag('json')) printJson(result);
      else
        printLines(
          result.errors.map(
            (e) => `line ${e.line}: ${e.field === null ? '' : `${clean(e.field)} `}${clean(e.message)}`,
          ),
        );
      throw new AppError(
        'invalid_records',
        `${result.errors.length} mistakes in ${args.positional('file')}; nothing was imported`,
      );
    }
    if (args.flag('json')) printJson(result);
    else
      printLines([
        `Imported the trait scores of ${result.imported} players` +
          (result.kept_survey > 0 ? ` (${result.kept_survey} kept their completed survey's scores)` : ''),
      ]);
  },
};

export const traitsCommands: readonly CommandSpec[] = [traitsImport];
