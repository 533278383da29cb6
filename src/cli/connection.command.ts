import { readFile } from 'node:fs/promises';
import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { AppError } from '../errors.js';
import { PROVIDERS, type Provider } from '../sources/connection-source.js';
import type { ConnectionView } from '../sources/storage-connections.service.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec, type OptionSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';
import { summaryLines } from './sync-summary.js';

const CONNECTION_ID = { name: 'connection-id', description: 'The connection id (stc_...)' };
const text = (description: string, value?: string): OptionSpec => ({
  type: 'string',
  description,
  ...(value ? { value } : {}),
});

/** A JSON object of strings from a file: credentials never go on the command line. */
async function readCredentials(file: string, provider: Provider): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AppError('bad_request', `cannot read credentials from ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('bad_request', `${file} must hold one JSON object`);
  }
  // A GCS service-account key file is taken as it is downloaded from Google Cloud.
  if (provider === 'gcs' && (parsed as { type?: unknown }).type === 'service_account') {
    return { service_account_json: JSON.stringify(parsed) };
  }
  const entries = Object.entries(parsed);
  if (entries.some(([, v]) => typeof v !== 'string')) {
    throw new AppError('bad_request', `every value in ${file} must be a string`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function connectionLines(heading: string, c: ConnectionView): string[] {
  const where =
    c.provider === 'local' ? (c.path ?? '-') : `${c.bucket ?? '-'}${c.prefix ? `/${c.prefix}` : ''}`;
  const last = c.last_sync;
  return [
    heading,
    ...table(
      [
        ['id', c.id],
        ['provider', c.provider],
        ['environment', c.environment],
        ['location', clean(where)],
        ...(c.endpoint ? [['endpoint', clean(c.endpoint)]] : []),
        ['credentials', c.has_credentials ? 'stored (sealed)' : 'none'],
        ['schedule', c.schedule_minutes === null ? 'on demand' : `every ${c.schedule_minutes} min`],
        ['status', c.status],
        ['last sync', c.last_sync_at ?? 'never'],
        ...(c.next_sync_at ? [['next sync', c.next_sync_at]] : []),
        ['files ingested', String(c.files_ingested)],
        ...(last
          ? [
              ['last: files failed', String(last.files_failed)],
              ...last.errors
                .slice(0, 5)
                .map((e) => ['last: error', clean(`${e.file ?? ''} ${e.message}`.trim())]),
            ]
          : []),
      ],
      { indent: '  ' },
    ),
  ];
}

const connectionAdd: CommandSpec = {
  name: 'connection add',
  summary: 'Register a storage connection (s3, gcs, azure bucket or a local folder)',
  details: [
    'Same rules as POST /admin/v1/dashboards/:id/storage-connections. Credentials are read from',
    'a JSON file (never the command line): s3 {"access_key_id", "secret_access_key"}; azure',
    '{"sas_url"} or {"connection_string"} with --bucket <container>; gcs the service-account',
    'key file as downloaded. They are sealed under the server key and never shown again.',
    'With --json prints the connection as the API answers it.',
  ],
  args: [{ name: 'provider', description: `One of ${PROVIDERS.join(', ')}` }],
  options: {
    dashboard: DASHBOARD_OPTION,
    environment: {
      type: 'string',
      choices: ENVIRONMENTS,
      description: 'Where records go (default production)',
    },
    bucket: text('The bucket (azure: the container)', 'name'),
    prefix: text('Only keys under this prefix', 'prefix'),
    endpoint: text('An S3-compatible store’s or GCS endpoint URL', 'url'),
    region: text('The S3 region', 'region'),
    path: text('local: the folder on the server', 'dir'),
    'credentials-file': text('A JSON file with the credentials', 'file'),
    'schedule-minutes': { type: 'string', number: true, value: 'n', description: 'Sync every n minutes' },
    json: JSON_OPTION,
  },
  async run(args) {
    const provider = args.positional('provider');
    if (!(PROVIDERS as readonly string[]).includes(provider)) {
      throw new AppError('bad_request', `provider must be one of ${PROVIDERS.join(', ')}, got '${provider}'`);
    }
    const credentialsFile = args.string('credentials-file');
    const credentials = credentialsFile
      ? await readCredentials(credentialsFile, provider as Provider)
      : undefined;
    const schedule = args.number('schedule-minutes');
    if (schedule !== undefined && !(Number.isInteger(schedule) && schedule >= 1 && schedule <= 10080)) {
      throw new AppError('bad_request', '--schedule-minutes must be a whole number from 1 to 10080');
    }
    const optional = (name: string, key: string) => {
      const value = args.string(name);
      return value === undefined ? {} : { [key]: value };
    };
    const created = await withContext(({ services }) =>
      services.storageConnections.create(args.string('dashboard')!, {
        provider: provider as Provider,
        ...(args.string('environment') ? { environment: args.string('environment') as Environment } : {}),
        ...optional('bucket', 'bucket'),
        ...optional('prefix', 'prefix'),
        ...optional('endpoint', 'endpoint'),
        ...optional('region', 'region'),
        ...optional('path', 'path'),
        ...(credentials ? { credentials } : {}),
        ...(schedule === undefined ? {} : { schedule_minutes: schedule }),
      }),
    );
    if (args.flag('json')) printJson(created);
    else printLines(connectionLines(`Created storage connection ${created.id}`, created));
  },
};

const connectionList: CommandSpec = {
  name: 'connection list',
  summary: "List a dashboard's storage connections with their status",
  details: ['With --json prints the array GET /admin/v1/dashboards/:id/storage-connections answers.'],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const list = await withContext(({ services }) =>
      services.storageConnections.list(args.string('dashboard')!),
    );
    if (args.flag('json')) {
      printJson(list);
      return;
    }
    if (list.length === 0) {
      printLines([
        'No storage connections. Add one with: traitforge connection add <provider> --dashboard <id> …',
      ]);
      return;
    }
    printLines(
      table(
        [
          ['ID', 'PROVIDER', 'ENV', 'STATUS', 'LAST SYNC', 'FILES'],
          ...list.map((c) => [
            c.id,
            c.provider,
            c.environment,
            c.status,
            c.last_sync_at ?? 'never',
            String(c.files_ingested),
          ]),
        ],
        { right: [5] },
      ),
    );
  },
};

const connectionShow: CommandSpec = {
  name: 'connection show',
  summary: 'Show a storage connection: status, last sync, files, errors',
  details: ['With --json prints the object GET …/storage-connections/:cid answers (never credentials).'],
  args: [CONNECTION_ID],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const c = await withContext(({ services }) =>
      services.storageConnections.get(args.string('dashboard')!, args.positional('connection-id')),
    );
    if (args.flag('json')) printJson(c);
    else printLines(connectionLines(`Storage connection ${c.id}`, c));
  },
};

const connectionTest: CommandSpec = {
  name: 'connection test',
  summary: 'Connect and check the first lines of a few files, storing nothing',
  details: [
    'Reports "unable to connect" or each invalid file and line. With --json prints',
    '{"ok", "files", "files_checked", "message", "errors": [{"file"?, "line"?, "message"}]}.',
    'Exits 1 when the test finds a problem.',
  ],
  args: [CONNECTION_ID],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const result = await withContext(({ services }) =>
      services.storageConnections.test(args.string('dashboard')!, args.positional('connection-id')),
    );
    if (args.flag('json')) printJson(result);
    else {
      printLines([
        result.message,
        ...result.errors.map((e) =>
          clean(
            `  ${e.file ?? ''}${e.line === undefined ? '' : `:${e.line}`} ${e.message}`.replace(
              /^ {2} /,
              '  ',
            ),
          ),
        ),
      ]);
    }
    if (!result.ok) throw new AppError('bad_request', 'the connection test found problems');
  },
};

const connectionSync: CommandSpec = {
  name: 'connection sync',
  summary: 'Sync now: ingest every file not ingested before (by path + ETag)',
  details: [
    'With --json prints {"files_seen", "files_ingested", "files_updated", "updated_files",',
    ' "records_ingested", "records_already_stored", "records_withheld", "files_failed",',
    ' "errors": [{"file", "line", "field", "message"}]}. records_ingested counts new records;',
    ' records_already_stored those an import or another connection stored from the same files.',
    'Exits 1 when a file failed or the store could not be reached.',
  ],
  args: [CONNECTION_ID],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const summary = await withContext(({ services }) =>
      services.storageConnections.sync(args.string('dashboard')!, args.positional('connection-id')),
    );
    if (args.flag('json')) printJson(summary);
    else {
      printLines(
        summaryLines(`Synced ${args.positional('connection-id')}`, summary, [
          ['files seen', String(summary.files_seen)],
          ['files updated', String(summary.files_updated)],
        ]),
      );
    }
    if (summary.files_failed > 0 || summary.errors.some((e) => e.file === null)) {
      throw new AppError('bad_request', 'the sync did not complete cleanly');
    }
  },
};

const connectionRemove: CommandSpec = {
  name: 'connection remove',
  summary: 'Remove a storage connection (the records it ingested stay)',
  args: [CONNECTION_ID],
  options: { dashboard: DASHBOARD_OPTION },
  async run(args) {
    const id = args.positional('connection-id');
    await withContext(({ services }) => services.storageConnections.remove(args.string('dashboard')!, id));
    printLines([`Removed storage connection ${id}`]);
  },
};

export const connectionCommands: readonly CommandSpec[] = [
  connectionAdd,
  connectionList,
  connectionShow,
  connectionTest,
  connectionSync,
  connectionRemove,
];
