import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, signingSecretLines } from './output.js';

/** Per-dashboard settings of the channels: the notification webhook and PlayFab level statistics. */

const notificationsShow: CommandSpec = {
  name: 'notifications show',
  summary: 'Show the webhook URL that receives a dashboard’s sync errors',
  details: ['With --json prints {"webhook_url"} (null when none is set).'],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const { webhook_url } = await withContext(({ services }) =>
      services.notifications.webhook(args.string('dashboard')!),
    );
    if (args.flag('json')) printJson({ webhook_url });
    else
      printLines([
        webhook_url ?? 'No notification webhook. Set one with: traitforge notifications set --url <url>',
      ]);
  },
};

const notificationsSet: CommandSpec = {
  name: 'notifications set',
  summary: 'Send a dashboard’s sync errors to a webhook URL (or stop with --clear)',
  details: [
    'Mirrors PUT /admin/v1/dashboards/:id/notifications. The URL receives a JSON POST per failed',
    'sync ({"event": "storage_sync.failed", "dashboard_id", "connection_id", "status", "message",',
    '"sync"}), signed, retried with backoff until it answers 2xx. A new webhook prints its signing',
    'secret once. With --json prints {"webhook_url", "secret"?} (credentials in the URL shown as ***).',
  ],
  args: [],
  oneOf: ['url', 'clear'],
  options: {
    dashboard: DASHBOARD_OPTION,
    url: { type: 'string', value: 'url', maxLength: 2048, description: 'An http:// or https:// URL' },
    clear: { type: 'boolean', description: 'Stop sending notifications' },
    json: JSON_OPTION,
  },
  async run(args) {
    const url = args.flag('clear') ? null : args.string('url')!;
    const set = await withContext(({ services }) =>
      services.notifications.setWebhook(args.string('dashboard')!, url),
    );
    if (args.flag('json')) printJson(set);
    else if (set.webhook_url === null) printLines(['Notifications stopped']);
    else printLines([`Sync errors go to ${clean(set.webhook_url)}`, ...signingSecretLines(set.secret)]);
  },
};

const notificationsSecret: CommandSpec = {
  name: 'notifications rotate-secret',
  summary: 'Rotate the signing secret of a dashboard’s notification webhook',
  details: [
    'Mirrors POST /admin/v1/dashboards/:id/notifications/secret. Deliveries from now on are signed',
    'with the new secret, printed once; one the receiver refuses meanwhile is retried.',
    'With --json prints {"secret"}.',
  ],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const rotated = await withContext(({ services }) =>
      services.notifications.rotateSecret(args.string('dashboard')!),
    );
    if (args.flag('json')) printJson(rotated);
    else printLines(signingSecretLines(rotated.secret));
  },
};

const playfabLevels: CommandSpec = {
  name: 'playfab levels',
  summary: 'Show or set the PlayFab statistics that are a player’s level',
  details: [
    'Mirrors GET/PUT /admin/v1/dashboards/:id/playfab. A player_statistic_changed event on one of',
    'these statistics becomes a level-up. --set takes a comma-separated list ("" clears it).',
    'With --json prints {"dashboard_id", "level_statistics": [..]}.',
  ],
  args: [],
  options: {
    dashboard: DASHBOARD_OPTION,
    set: { type: 'string', value: 'names', description: 'Statistic names, comma-separated' },
    json: JSON_OPTION,
  },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const given = args.string('set');
    const names = await withContext(async ({ services }) => {
      await services.tenancy.getDashboard(dashboardId);
      return given === undefined
        ? services.playfab.levelStatistics(dashboardId)
        : services.playfab.setLevelStatistics(
            dashboardId,
            given.split(',').filter((n) => n.trim() !== ''),
          );
    });
    if (args.flag('json')) printJson({ dashboard_id: dashboardId, level_statistics: names });
    else printLines([names.length === 0 ? 'No level statistics' : `Level statistics: ${names.join(', ')}`]);
  },
};

export const settingsCommands: readonly CommandSpec[] = [
  notificationsShow,
  notificationsSet,
  notificationsSecret,
  playfabLevels,
];
