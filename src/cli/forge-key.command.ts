import { JSON_OPTION, type CommandSpec, type OptionSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

const NAME_RULE = '1 to 64 letters, digits, spaces, dots, dashes or underscores';

const DAILY_QUOTA: OptionSpec = {
  type: 'string',
  value: 'n',
  number: true,
  description: 'Requests per UTC day, a whole number ≥ 1',
};

const forgeKeyCreate: CommandSpec = {
  name: 'forge-key create',
  summary: 'Create a Forge key for a partner game (shown only once)',
  details: [
    'Prints the key id, the key itself, its partner, game, game id and daily quota. The key',
    'is shown only this once: Traitforge keeps only its hash. Partners send it as the',
    'X-API-Key header of /player/... requests.',
    'With --json prints the same object as POST /admin/v1/forge-keys:',
    '{"id", "key", "partner", "game", "game_id", "daily_quota"}.',
  ],
  args: [],
  options: {
    partner: { type: 'string', value: 'name', required: true, description: `The partner: ${NAME_RULE}` },
    game: { type: 'string', value: 'name', required: true, description: `The game's name: ${NAME_RULE}` },
    'game-id': {
      type: 'string',
      value: 'id',
      required: true,
      description: `The game's id, which quests use (quest create --game-id): ${NAME_RULE}`,
    },
    'daily-quota': { ...DAILY_QUOTA, description: `${DAILY_QUOTA.description} (default 500000)` },
    json: JSON_OPTION,
  },
  async run(args) {
    const created = await withContext(({ services }) =>
      services.forgeKeys.create(
        args.string('partner')!,
        args.string('game')!,
        args.string('game-id')!,
        args.number('daily-quota'),
      ),
    );
    if (args.flag('json')) {
      printJson(created);
      return;
    }
    printLines([
      `Created Forge key ${created.id} for game ${clean(created.game_id)}`,
      ...table(
        [
          ['id', created.id],
          ['partner', clean(created.partner)],
          ['game', clean(created.game)],
          ['game_id', clean(created.game_id)],
          ['daily_quota', String(created.daily_quota)],
          ['key', created.key],
        ],
        { indent: '  ' },
      ),
      '',
      'The key is shown only once: store it now, Traitforge keeps only its hash.',
      'Partners send it as the X-API-Key header of /player/... requests.',
    ]);
  },
};

const forgeKeyList: CommandSpec = {
  name: 'forge-key list',
  summary: 'List Forge keys with their daily quota and use today (never the keys)',
  details: [
    'USED TODAY counts the requests of the current UTC day against the DAILY QUOTA.',
    'With --json prints the same array as GET /admin/v1/forge-keys: [{"id", "partner", "game",',
    ' "game_id", "daily_quota", "used_today", "created_at", "revoked_at"}, ...].',
  ],
  args: [],
  options: { json: JSON_OPTION },
  async run(args) {
    const keys = await withContext(({ services }) => services.forgeKeys.list());
    if (args.flag('json')) {
      printJson(keys);
    } else if (keys.length === 0) {
      printLines(['No Forge keys yet: create one with traitforge forge-key create']);
    } else {
      printLines(
        table(
          [
            ['ID', 'PARTNER', 'GAME', 'GAME ID', 'USED TODAY', 'DAILY QUOTA', 'CREATED', 'REVOKED'],
            ...keys.map((k) => [
              k.id,
              clean(k.partner),
              clean(k.game),
              clean(k.game_id),
              String(k.used_today),
              String(k.daily_quota),
              k.created_at,
              k.revoked_at ?? '-',
            ]),
          ],
          { right: [4, 5] },
        ),
      );
    }
  },
};

const KEY_ID = {
  name: 'id',
  description: 'The key id (fk_...) from traitforge forge-key list, not the key itself',
};

const forgeKeyRevoke: CommandSpec = {
  name: 'forge-key revoke',
  summary: 'Revoke a Forge key: every server refuses it from the next request on',
  details: [
    'Revoking a key twice is harmless. With --json prints the same object as',
    'DELETE /admin/v1/forge-keys/:id: {"id": "<id>", "revoked": true}.',
  ],
  args: [KEY_ID],
  options: { json: JSON_OPTION },
  async run(args) {
    const id = args.positional('id');
    await withContext(({ services }) => services.forgeKeys.revoke(id));
    if (args.flag('json')) printJson({ id, revoked: true });
    else printLines([`Revoked Forge key ${id}`]);
  },
};

const forgeKeyQuota: CommandSpec = {
  name: 'forge-key quota',
  summary: "Set a Forge key's daily quota, from the next request on",
  details: [
    'Requests already counted today stay counted: a quota below USED TODAY refuses the',
    'key with 429 until the next UTC day.',
    'With --json prints the same object as PUT /admin/v1/forge-keys/:id/quota:',
    '{"id", "daily_quota"}.',
  ],
  args: [KEY_ID],
  options: { 'daily-quota': { ...DAILY_QUOTA, required: true }, json: JSON_OPTION },
  async run(args) {
    const id = args.positional('id');
    const dailyQuota = args.number('daily-quota')!;
    await withContext(({ services }) => services.forgeKeys.setQuota(id, dailyQuota));
    if (args.flag('json')) printJson({ id, daily_quota: dailyQuota });
    else printLines([`Set the daily quota of Forge key ${id} to ${dailyQuota} requests`]);
  },
};

export const forgeKeyCommands: readonly CommandSpec[] = [
  forgeKeyCreate,
  forgeKeyList,
  forgeKeyRevoke,
  forgeKeyQuota,
];
