import { JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

const dashboardCreate: CommandSpec = {
  name: 'dashboard create',
  summary: 'Create a dashboard with one production and one sandbox API key',
  details: [
    'Prints the dashboard id and its two API keys. The keys are shown only this once:',
    'Traitforge keeps only their hashes.',
    'With --json prints the same object as POST /admin/v1/dashboards:',
    '{"id", "name", "slug", "created_at", "keys": {"production", "sandbox"},',
    ' "key_ids": {"production", "sandbox"}}.',
  ],
  args: [{ name: 'name', description: 'Display name, 1 to 200 characters (quote it if it has spaces)' }],
  options: {
    slug: {
      type: 'string',
      value: 'slug',
      description: 'Game slug usable as :game in /v1/games/:game/... (lowercase letters, digits, dashes)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const created = await withContext(({ services }) =>
      services.tenancy.createDashboard(args.positional('name'), args.string('slug')),
    );
    const { production, sandbox } = created.keys;
    if (args.flag('json')) {
      printJson({
        id: created.id,
        name: created.name,
        slug: created.slug,
        created_at: created.created_at,
        keys: { production: production.key, sandbox: sandbox.key },
        key_ids: { production: production.id, sandbox: sandbox.id },
      });
      return;
    }
    printLines([
      `Created dashboard ${created.id}`,
      ...table(
        [
          ['name', clean(created.name)],
          ['slug', created.slug ?? '-'],
          ['created', created.created_at],
        ],
        { indent: '  ' },
      ),
      '',
      'API keys (shown only once: store them now, Traitforge keeps only their hashes):',
      ...table(
        [
          ['ENVIRONMENT', 'KEY ID', 'KEY'],
          [production.environment, production.id, production.key],
          [sandbox.environment, sandbox.id, sandbox.key],
        ],
        { indent: '  ' },
      ),
    ]);
  },
};

const dashboardList: CommandSpec = {
  name: 'dashboard list',
  summary: 'List dashboards',
  details: ['With --json prints the same array as GET /admin/v1/dashboards.'],
  args: [],
  options: { json: JSON_OPTION },
  async run(args) {
    const dashboards = await withContext(({ services }) => services.tenancy.listDashboards());
    if (args.flag('json')) {
      printJson(dashboards);
    } else if (dashboards.length === 0) {
      printLines(['No dashboards yet: create one with traitforge dashboard create <name>']);
    } else {
      printLines(
        table([
          ['ID', 'NAME', 'SLUG', 'CREATED'],
          ...dashboards.map((d) => [d.id, clean(d.name), d.slug ?? '-', d.created_at]),
        ]),
      );
    }
  },
};

export const dashboardCommands: readonly CommandSpec[] = [dashboardCreate, dashboardList];
