import { QUEST_TYPES } from '../forge/quest-progress.js';
import type { QuestView } from '../forge/quests.service.js';
import { GAME_ID_OPTION, JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, signingSecretLines, table } from './output.js';

const TIMESTAMP = '"YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds';
const QUEST_FIELDS = '"id", "game_id", "type", "target", "achievement_title", "starts_at",';

const reward = (q: QuestView) => `${q.reward.amount} ${clean(q.reward.kind)}`;

const questCreate: CommandSpec = {
  name: 'quest create',
  summary: 'Define a quest for a game: play in its window counts toward the target',
  details: [
    'Targets are hours (hours_played), days (days_in_week, at most 7; days_in_row) or',
    'achievements (achievements_count); an achievement quest needs --achievement-title and',
    'its target is 1. Play already recorded inside the window counts at once. Each player',
    'who reaches the target is granted the reward once.',
    'With --json prints the same object as POST /admin/v1/games/:game_id/quests:',
    `{${QUEST_FIELDS}`,
    ' "ends_at", "reward": {"kind", "amount"}, "created_at"}.',
  ],
  args: [],
  options: {
    'game-id': GAME_ID_OPTION,
    type: {
      type: 'string',
      value: 'type',
      choices: QUEST_TYPES,
      required: true,
      description: `What the quest counts: ${QUEST_TYPES.join(', ')}`,
    },
    target: {
      type: 'string',
      value: 'n',
      number: true,
      required: true,
      description: 'Hours, days or achievements to reach (above 0)',
    },
    'starts-at': {
      type: 'string',
      value: 'time',
      required: true,
      maxLength: 40,
      description: `Start of the window: ${TIMESTAMP}`,
    },
    'ends-at': {
      type: 'string',
      value: 'time',
      required: true,
      maxLength: 40,
      description: 'End of the window, after its start: same formats',
    },
    'reward-kind': {
      type: 'string',
      value: 'kind',
      required: true,
      description: 'What the reward is, e.g. gems: 1 to 64 characters',
    },
    'reward-amount': {
      type: 'string',
      value: 'n',
      number: true,
      required: true,
      description: 'How much of it, ≥ 0',
    },
    'achievement-title': {
      type: 'string',
      value: 'title',
      maxLength: 256,
      description: 'The achievement to unlock (required for type achievement)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const gameId = args.string('game-id')!;
    const quest = await withContext(({ services }) =>
      services.quests.create(gameId, {
        type: args.string('type')!,
        target: args.number('target')!,
        achievement_title: args.string('achievement-title'),
        starts_at: args.string('starts-at')!,
        ends_at: args.string('ends-at')!,
        reward: { kind: args.string('reward-kind')!, amount: args.number('reward-amount')! },
      }),
    );
    if (args.flag('json')) {
      printJson(quest);
      return;
    }
    printLines([
      `Created quest ${quest.id} for game ${clean(quest.game_id)}`,
      ...table(
        [
          ['type', quest.type],
          ['target', String(quest.target)],
          ...(quest.achievement_title === null ? [] : [['achievement', clean(quest.achievement_title)]]),
          ['starts', quest.starts_at],
          ['ends', quest.ends_at],
          ['reward', reward(quest)],
          ['created', quest.created_at],
        ],
        { indent: '  ' },
      ),
    ]);
  },
};

const questList: CommandSpec = {
  name: 'quest list',
  summary: "List a game's quests",
  details: [
    'Times are UTC. With --json prints the same array as GET /admin/v1/games/:game_id/quests:',
    `[{${QUEST_FIELDS}`,
    ' "ends_at", "reward": {"kind", "amount"}, "created_at"}, ...].',
  ],
  args: [],
  options: { 'game-id': GAME_ID_OPTION, json: JSON_OPTION },
  async run(args) {
    const gameId = args.string('game-id')!;
    const quests = await withContext(({ services }) => services.quests.list(gameId));
    if (args.flag('json')) {
      printJson(quests);
    } else if (quests.length === 0) {
      printLines([`Game ${clean(gameId)} has no quests: create one with traitforge quest create`]);
    } else {
      printLines(
        table(
          [
            ['ID', 'TYPE', 'TARGET', 'STARTS', 'ENDS', 'REWARD', 'ACHIEVEMENT'],
            ...quests.map((q) => [
              q.id,
              q.type,
              String(q.target),
              q.starts_at,
              q.ends_at,
              reward(q),
              q.achievement_title === null ? '-' : clean(q.achievement_title),
            ]),
          ],
          { right: [2] },
        ),
      );
    }
  },
};

const questWebhook: CommandSpec = {
  name: 'quest webhook',
  summary: "Set or clear the URL a game's quest completions are POSTed to",
  details: [
    'Each reward granted from then on is POSTed once to the URL as {"event": "quest.completed",',
    ' "game_id", "quest_id", "player_id", "reward", "completed_at"}, signed, retried with backoff.',
    'A new webhook prints its signing secret once (keep it: it is never shown again).',
    'With --json prints the same object as PUT /admin/v1/games/:game_id/webhook:',
    '{"game_id", "url", "secret"?} (url null once cleared; credentials in it shown as ***).',
  ],
  args: [],
  options: {
    'game-id': GAME_ID_OPTION,
    url: {
      type: 'string',
      value: 'url',
      maxLength: 2048,
      description: 'An absolute http(s) URL (give this or --clear)',
    },
    clear: { type: 'boolean', description: 'Remove the webhook: completions are no longer POSTed' },
    json: JSON_OPTION,
  },
  oneOf: ['url', 'clear'],
  async run(args) {
    const gameId = args.string('game-id')!;
    const set = await withContext(({ services }) =>
      services.quests.setWebhook(gameId, args.string('url') ?? null),
    );
    if (args.flag('json')) printJson(set);
    else if (set.url === null) printLines([`Cleared the quest webhook of game ${clean(gameId)}`]);
    else
      printLines([
        `Quest completions of game ${clean(gameId)} are POSTed to ${clean(set.url)}`,
        ...signingSecretLines(set.secret),
      ]);
  },
};

const questWebhookSecret: CommandSpec = {
  name: 'quest webhook-secret',
  summary: "Rotate the signing secret of a game's quest webhook",
  details: [
    'Deliveries from now on are signed with the new secret, printed once. A delivery the receiver',
    'refuses meanwhile (old secret) is retried, so update the receiver soon after.',
    'With --json prints the same object as POST /admin/v1/games/:game_id/webhook/secret: {"game_id", "secret"}.',
  ],
  args: [],
  options: { 'game-id': GAME_ID_OPTION, json: JSON_OPTION },
  async run(args) {
    const gameId = args.string('game-id')!;
    const rotated = await withContext(({ services }) => services.quests.rotateWebhookSecret(gameId));
    if (args.flag('json')) printJson(rotated);
    else printLines(signingSecretLines(rotated.secret));
  },
};

export const questCommands: readonly CommandSpec[] = [
  questCreate,
  questList,
  questWebhook,
  questWebhookSecret,
];
