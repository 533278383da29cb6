import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { AppError } from '../errors.js';
import { BUCKET_ROOT_FOLDERS, type BucketRecordType } from '../sources/bucket-file.js';
import { importObjects, type ImportSummary } from '../sources/bucket-import.js';
import { LocalObjectSource } from '../sources/local-source.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

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
    return isRootFolder(name) ? { root: path.dirname(full), folders: [name] } : { root: full };
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

/** "1 234 records, 5 678 rows/s" on one terminal line, redrawn at most 5 times a second. */
function progressLine(): { update(records: number): void; done(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawn = 0;
  let shown = false;
  return {
    update(records) {
      const now = Date.now();
      if (now - drawn < 200) return;
      drawn = now;
      const rate = Math.round(records / Math.max((now - started) / 1000, 0.001));
      process.stderr.write(`\r\u001b[K${records} records ingested, ${rate} rows/s`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
}

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'Ingest files in the bucket layout from a local folder (or one file)',
  details: [
    'The folder holds the root folders actions/ logins/ purchases/ kpis/ virtual_purchases/',
    'level_ups/ items/ social_dynamics/, each with files at any depth (Hive key=value/ folders',
    'included): .json/.ndjson/.jsonl (one JSON object per line), .csv (a header line of field',
    'names), or either gzipped (.gz). The path can also be one root folder or one file in one.',
    'Each line is ingested once: importing the same unchanged file again stores nothing twice.',
    'Invalid lines are rejected with their line number; the other lines are stored.',
    'With --json prints {"files_ingested", "records_ingested", "files_failed",',
    ' "errors": [{"file", "line", "field", "message"}]} (line null: the whole file failed).',
    'Exits 1 when a file could not be read.',
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
    const progress = args.flag('json') ? { update: () => undefined, done: () => undefined } : progressLine();
    let summary: ImportSummary;
    try {
      summary = await withContext(async ({ services }) => {
        await services.tenancy.getDashboard(dashboardId);
        return importObjects({
          source: new LocalObjectSource(target.root),
          sourceId: `local:${target.root}`,
          ingest: services.ingest,
          principal: { dashboardId, environment, keyId: 'cli-import' },
          ...(target.keys ? { keys: target.keys } : {}),
          ...(target.folders ? { folders: target.folders } : {}),
          onProgress: (records) => {
            progress.update(records);
          },
        });
      });
    } finally {
      progress.done();
    }
    if (args.flag('json')) {
      printJson(summary);
    } else {
      const lines = [
        `Imported into dashboard ${dashboardId} (${environment})`,
        ...table(
          [
            ['files ingested', String(summary.files_ingested)],
            ['records ingested', String(summary.records_ingested)],
            ['files failed', String(summary.files_failed)],
          ],
          { indent: '  ', right: [1] },
        ),
      ];
      if (summary.errors.length > 0) {
        lines.push(
          '',
          'Errors:',
          ...table(
            [
              ['FILE', 'LINE', 'FIELD', 'MESSAGE'],
              ...summary.errors.map((e) => [
                clean(e.file),
                e.line === null ? '-' : String(e.line),
                e.field ?? '-',
                clean(e.message),
              ]),
            ],
            { indent: '  ' },
          ),
        );
      }
      printLines(lines);
    }
    if (summary.files_failed > 0) {
      throw new AppError(
        'bad_request',
        `${summary.files_failed} file${summary.files_failed === 1 ? '' : 's'} could not be read`,
      );
    }
  },
};
