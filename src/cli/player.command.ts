import type { PlayerView } from '../forge/players.service.js';
import { JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

const PLAYER_ID = { name: 'id', description: 'The player id (ply_...) from traitforge player create' };
const PLAYER_JSON = '{"id", "email", "wallets": [{"blockchain", "address"}],';
const PLAYER_JSON_END = ' "platforms": [{"platform", "platform_user_id"}], "created_at"}.';

/** A player as aligned lines: one row per linked wallet and platform id. */
function playerLines(heading: string, player: PlayerView): string[] {
  return [
    heading,
    ...table(
      [
        ['id', player.id],
        ['email', player.email === null ? '-' : clean(player.email)],
        ...(player.wallets.length === 0
          ? [['wallets', '-']]
          : player.wallets.map((w) => ['wallet', `${w.blockchain} ${clean(w.address)}`])),
        ...(player.platforms.length === 0
          ? [['platforms', '-']]
          : player.platforms.map((p) => ['platform', `${p.platform} ${clean(p.platform_user_id)}`])),
        ['created', player.created_at],
      ],
      { indent: '  ' },
    ),
  ];
}

function printPlayer(json: boolean, heading: string, player: PlayerView): void {
  if (json) printJson(player);
  else printLines(playerLines(heading, player));
}

const playerCreate: CommandSpec = {
  name: 'player create',
  summary: 'Register a player, optionally with an e-mail that recognises their records',
  details: [
    "Records partners sent under the e-mail become the player's at once, and count",
    'toward quests. With --json prints the same object as POST /admin/v1/players:',
    PLAYER_JSON,
    PLAYER_JSON_END,
  ],
  args: [],
  options: {
    email: {
      type: 'string',
      value: 'email',
      description: "The player's e-mail (compared case-insensitively)",
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const player = await withContext(({ services }) => services.players.create(args.string('email')));
    printPlayer(args.flag('json'), `Created player ${player.id}`, player);
  },
};

const playerShow: CommandSpec = {
  name: 'player show',
  summary: 'Show a player with their e-mail, wallets and platform ids',
  details: ['With --json prints the same object as GET /admin/v1/players/:id:', PLAYER_JSON, PLAYER_JSON_END],
  args: [PLAYER_ID],
  options: { json: JSON_OPTION },
  async run(args) {
    const player = await withContext(({ services }) => services.players.get(args.positional('id')));
    printPlayer(args.flag('json'), `Player ${player.id}`, player);
  },
};

const playerLinkWallet: CommandSpec = {
  name: 'player link-wallet',
  summary: 'Link a wallet to a player: records sent under it become theirs',
  details: [
    'EVM addresses (avalanche, base, ethereum, polygon, ronin) are 0x and 40 hex digits; a',
    'mixed-case one must carry its EIP-55 checksum. solana: base58; sui: 0x and 64 hex digits.',
    'A wallet another player holds is refused. Linking the same wallet again is harmless.',
    'With --json prints the player, as POST /admin/v1/players/:id/wallets does.',
  ],
  args: [PLAYER_ID],
  options: {
    blockchain: {
      type: 'string',
      value: 'chain',
      required: true,
      description: 'avalanche, base, ethereum, polygon, ronin, solana or sui',
    },
    address: { type: 'string', value: 'address', required: true, description: 'The wallet address' },
    json: JSON_OPTION,
  },
  async run(args) {
    const player = await withContext(({ services }) =>
      services.players.linkWallet(args.positional('id'), args.string('blockchain')!, args.string('address')!),
    );
    printPlayer(args.flag('json'), `Linked the wallet to player ${player.id}`, player);
  },
};

const playerLinkPlatform: CommandSpec = {
  name: 'player link-platform',
  summary: "Link a platform's user id to a player: records sent under it become theirs",
  details: [
    'A platform id another player holds is refused. Linking the same one again is harmless.',
    'With --json prints the player, as POST /admin/v1/players/:id/platforms does.',
  ],
  args: [PLAYER_ID],
  options: {
    platform: {
      type: 'string',
      value: 'name',
      required: true,
      description: 'A short name such as steam, xbox, psn, epic or discord',
    },
    'platform-user-id': {
      type: 'string',
      value: 'user_id',
      required: true,
      description: "The player's id on that platform, 1 to 256 characters",
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const player = await withContext(({ services }) =>
      services.players.linkPlatform(
        args.positional('id'),
        args.string('platform')!,
        args.string('platform-user-id')!,
      ),
    );
    printPlayer(args.flag('json'), `Linked the platform id to player ${player.id}`, player);
  },
};

const playerQuests: CommandSpec = {
  name: 'player quests',
  summary: "A player's progress on the quests their records count toward",
  details: [
    "CURRENT is in the quest's unit: hours, days or achievements. COMPLETED is when the",
    'target was reached (UTC); the reward was granted then.',
    'With --json prints the same array as GET /admin/v1/players/:id/quests:',
    '[{"quest_id", "type", "current", "target", "percent", "completed_at"}, ...].',
  ],
  args: [PLAYER_ID],
  options: { json: JSON_OPTION },
  async run(args) {
    const id = args.positional('id');
    const progress = await withContext(async ({ services }) => {
      // Like the admin API: an unknown player is an error, not an empty list.
      await services.players.get(id);
      return services.quests.progress(id);
    });
    if (args.flag('json')) {
      printJson(progress);
    } else if (progress.length === 0) {
      printLines([`Player ${id} has no quest progress yet`]);
    } else {
      printLines(
        table(
          [
            ['QUEST', 'TYPE', 'CURRENT', 'TARGET', 'PERCENT', 'COMPLETED'],
            ...progress.map((p) => [
              p.quest_id,
              p.type,
              String(p.current),
              String(p.target),
              `${p.percent}%`,
              p.completed_at ?? '-',
            ]),
          ],
          { right: [2, 3, 4] },
        ),
      );
    }
  },
};

const playerRewards: CommandSpec = {
  name: 'player rewards',
  summary: 'Rewards granted to a player, one per completed quest',
  details: [
    'With --json prints the same array as GET /admin/v1/players/:id/rewards:',
    '[{"quest_id", "kind", "amount", "granted_at"}, ...].',
  ],
  args: [PLAYER_ID],
  options: { json: JSON_OPTION },
  async run(args) {
    const id = args.positional('id');
    const rewards = await withContext(async ({ services }) => {
      await services.players.get(id);
      return services.quests.rewards(id);
    });
    if (args.flag('json')) {
      printJson(rewards);
    } else if (rewards.length === 0) {
      printLines([`Player ${id} has no rewards yet`]);
    } else {
      printLines(
        table(
          [
            ['QUEST', 'KIND', 'AMOUNT', 'GRANTED'],
            ...rewards.map((r) => [r.quest_id, clean(r.kind), String(r.amount), r.granted_at]),
          ],
          { right: [2] },
        ),
      );
    }
  },
};

export const playerCommands: readonly CommandSpec[] = [
  playerCreate,
  playerShow,
  playerLinkWallet,
  playerLinkPlatform,
  playerQuests,
  playerRewards,
];
