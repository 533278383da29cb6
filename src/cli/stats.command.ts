import { ALL_RECORD_TYPES, ENVIRONMENTS } from '../domain/records.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { printJson, printLines, table } from './output.js';

export const statsCommand: CommandSpec = {
  name: 'stats',
  summary: 'Stored records of a dashboard per type and environment, and per day (30 days)',
  details: [
    'With --json prints the same object as GET /admin/v1/dashboards/:id/stats:',
    '{"dashboard_id", "records": {"<environment>": {"<type>": <count>}},',
    ' "daily": [{"day", "environment", "type", "count"}]}.',
  ],
  args: [],
  options: {
    dashboard: DASHBOARD_OPTION,
    json: JSON_OPTION,
  },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const stats = await withContext(async ({ services }) => {
      // Like the admin API: an unknown dashboard is an error, not a page of zeros.
      await services.tenancy.getDashboard(dashboardId);
      return services.records.stats(dashboardId);
    });
    if (args.flag('json')) {
      printJson(stats);
      return;
    }
    const right = ENVIRONMENTS.map((_, i) => i + 1);
    const lines = [
      `Dashboard ${stats.dashboard_id}`,
      '',
      'Stored records:',
      ...table(
        [
          ['TYPE', ...ENVIRONMENTS.map((e) => e.toUpperCase())],
          ...ALL_RECORD_TYPES.map((type) => [
            type,
            ...ENVIRONMENTS.map((e) => String(stats.records[e][type])),
          ]),
        ],
        { indent: '  ', right },
      ),
      '',
    ];
    if (stats.daily.length === 0) {
      lines.push('Received per day (UTC): nothing in the last 30 days');
    } else {
      lines.push(
        'Received per day (UTC, last 30 days):',
        ...table(
          [
            ['DAY', 'ENVIRONMENT', 'TYPE', 'COUNT'],
            ...stats.daily.map((d) => [d.day, d.environment, d.type, String(d.count)]),
          ],
          { indent: '  ', right: [3] },
        ),
      );
    }
    printLines(lines);
  },
};
