import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { AppError } from '../errors.js';
import { BUCKET_ROOT_FOLDERS, type BucketRecordType } from '../sources/bucket-file.js';
import { importObjects, type ImportSummary } from '../sources/bucket-import.js';
import { LocalObjectSource } from '../sources/local-source.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { printJson, printLines } from './output.js';
import { progressLine } from './progress.js';
import { summaryLines } from './sync-summary.js';

const isRootFolder = (name: string): name is BucketRecordType =>
  (BUCKET_ROOT_FOLDERS as readonly string[]).includes(name);

interface Target {
  /** The folder that holds the root folders (`actions/`, `purchases/`…). */
  root: string;
  keys?: string[];
  folders?: BucketRecordType[];
}

/**
 * What to import: a folder in the bucket layout; one root folder of it (`…/purchases`); or one
 * file, whose record type is the nearest enclosing root folder (`…/purchases/date=…/a.json`).
 */
async function resolveTarget(given: string): Promise<Target> {
  const full = path.resolve(given);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new AppError('not_found', `no such file or directory: ${given}`);
  if (info.isDirectory()) {
    const name = path.basename(full);
    if (isRootFolder(name)) return { root: path.dirname(full), folders: [name] };
    const entries = await readdir(full, { withFileTypes: true });
    if (!entries.some((e) => e.isDirectory() && isRootFolder(e.name))) {
      // Importing nothing and saying "0 records" would hide a wrong path.
      throw new AppError(
        'bad_request',
        `${given} holds none of the folders ${BUCKET_ROOT_FOLDERS.join('/, ')}/: give the folder that holds them, one of them, or one file in one`,
      );
    }
    return { root: full };
  }
  for (let dir = path.dirname(full); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (isRootFolder(path.basename(dir))) {
      const root = path.dirname(dir);
      return { root, keys: [path.relative(root, full).split(path.sep).join('/')] };
    }
  }
  throw new AppError(
    'bad_request',
    `cannot tell the record type of ${given}: put it in a folder named ${BUCKET_ROOT_FOLDERS.join('/, ')}/`,
  );
}

/** The bytes an import will read: the sizes of the files it selects. */
async function totalBytes(source: LocalObjectSource, target: Target): Promise<number> {
  let total = 0;
  for (const prefix of target.keys ?? (target.folders ?? BUCKET_ROOT_FOLDERS).map((f) => `${f}/`)) {
    for await (const object of source.list(prefix)) total += object.size;
  }
  return total;
}

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'Ingest files in the bucket layout from a local folder (or one file)',
  details: [
    'The folder holds the root folders actions/ logins/ purchases/ kpis/ virtual_purchases/',
    'level_ups/ items/ social_dynamics/, each with files at any depth (Hive key=value/ folders',
    'included): .json/.ndjson/.jsonl (one JSON object per line), .csv (a header line of field',
    'names), or either gzipped (.gz). The path can also be one root folder or one file in one.',
    'Each line is ingested once: a file version (its path + size + mtime) already read, by an',
    'import or a local storage connection on the same files, stores nothing twice; the summary',
    'counts records ingested (new) and already stored apart, and records withheld: those of',
    'players deleted (DELETE /v1/userData) after the file was written.',
    'Invalid lines are rejected with their line number; the other lines are stored.',
    'With --json prints {"files_ingested", "records_ingested", "records_already_stored",',
    ' "records_withheld", "files_failed", "errors": [{"file", "line", "field", "message"}]}',
    ' (line null: the whole file failed).',
    'Exits 1 when a file could not be read, or when the folder holds none of the root folders.',
  ],
  args: [{ name: 'dir-or-file', description: 'A folder in the bucket layout, or one file in it' }],
  options: {
    dashboard: DASHBOARD_OPTION,
    environment: {
      type: 'string',
      choices: ENVIRONMENTS,
      default: 'production',
      description: 'Which environment the records go to (default production)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const environment = args.string('environment') as Environment;
    const target = await resolveTarget(args.positional('dir-or-file'));
    const source = new LocalObjectSource(target.root);
    const progress = args.flag('json')
      ? { update: () => undefined, done: () => undefined }
      : progressLine(await totalBytes(source, target));
    let bytes = 0;
    let records = 0;
    let summary: ImportSummary;
    try {
      summary = await withContext(async ({ services }) => {
        await services.tenancy.getDashboard(dashboardId);
        return importObjects({
          source,
          sourceId: `local:${target.root}`,
          ingest: services.ingest,
          principal: { dashboardId, environment, keyId: 'cli-import' },
          ...(target.keys ? { keys: target.keys } : {}),
          ...(target.folders ? { folders: target.folders } : {}),
          onBytes: (n) => {
            bytes = n;
            progress.update(bytes, records);
          },
          onProgress: (n) => {
            records = n;
            progress.update(bytes, records);
          },
        });
      });
    } finally {
      progress.done();
    }
    if (args.flag('json')) printJson(summary);
    else printLines(summaryLines(`Imported into dashboard ${dashboardId} (${environment})`, summary));
    if (summary.files_failed > 0) {
      throw new AppError(
        'bad_request',
        `${summary.files_failed} file${summary.files_failed === 1 ? '' : 's'} could not be read`,
      );
    }
  },
};
