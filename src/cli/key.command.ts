import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { printJson, printLines, table } from './output.js';

const keyCreate: CommandSpec = {
  name: 'key create',
  summary: 'Create an API key for a dashboard (shown only once)',
  details: [
    'Prints the key id, the key itself, its environment and its prefix. The key is shown',
    'only this once: Traitforge keeps only its hash.',
    'With --json prints the same object as POST /admin/v1/dashboards/:id/keys:',
    '{"id", "key", "environment", "prefix"}.',
  ],
  args: [],
  options: {
    dashboard: DASHBOARD_OPTION,
    environment: {
      type: 'string',
      choices: ENVIRONMENTS,
      default: 'production',
      description: 'Which environment the key writes to (default production)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    // parseCommandArgs checked the value against ENVIRONMENTS and applied the default.
    const environment = args.string('environment') as Environment;
    const created = await withContext(({ services }) => services.tenancy.createKey(dashboardId, environment));
    if (args.flag('json')) {
      printJson(created);
      return;
    }
    printLines([
      `Created a ${created.environment} key for dashboard ${dashboardId}`,
      ...table(
        [
          ['id', created.id],
          ['environment', created.environment],
          ['prefix', created.prefix],
          ['key', created.key],
        ],
        { indent: '  ' },
      ),
      '',
      'The key is shown only once: store it now, Traitforge keeps only its hash.',
    ]);
  },
};

const keyList: CommandSpec = {
  name: 'key list',
  summary: "List a dashboard's API keys (prefixes only, never the keys)",
  details: ['With --json prints the same array as GET /admin/v1/dashboards/:id/keys.'],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const keys = await withContext(({ services }) => services.tenancy.listKeys(dashboardId));
    if (args.flag('json')) {
      printJson(keys);
    } else if (keys.length === 0) {
      printLines([`Dashboard ${dashboardId} has no API keys: create one with traitforge key create`]);
    } else {
      printLines(
        table([
          ['ID', 'ENVIRONMENT', 'PREFIX', 'CREATED', 'REVOKED'],
          ...keys.map((k) => [k.id, k.environment, k.prefix, k.created_at, k.revoked_at ?? '-']),
        ]),
      );
    }
  },
};

const keyRevoke: CommandSpec = {
  name: 'key revoke',
  summary: 'Revoke an API key: every server refuses it from the next request on',
  details: [
    'Revoking a key twice is harmless. With --json prints the same object as',
    'DELETE /admin/v1/dashboards/:id/keys/:key_id: {"id": "<key_id>", "revoked": true}.',
  ],
  args: [
    { name: 'key_id', description: 'The key id (key_...) from traitforge key list, not the key itself' },
  ],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const keyId = args.positional('key_id');
    await withContext(({ services }) => services.tenancy.revokeKey(dashboardId, keyId));
    if (args.flag('json')) printJson({ id: keyId, revoked: true });
    else printLines([`Revoked key ${keyId} of dashboard ${dashboardId}`]);
  },
};

export const keyCommands: readonly CommandSpec[] = [keyCreate, keyList, keyRevoke];
