import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ForgeKeyService } from '../../forge/forge-keys.service.js';
import type { PlayersService } from '../../forge/players.service.js';
import { QUEST_TYPES } from '../../forge/quest-progress.js';
import type { QuestService } from '../../forge/quests.service.js';
import { ErrorEnvelopeSchema } from '../envelope.js';
import { QuestProgressList } from '../forge-schemas.js';
import { StringEnum } from '../schemas.js';
import { requireAdmin } from '../plugins/auth.js';
import { ADMIN_ERRORS, adminDoc } from '../admin-schemas.js';

const admin = adminDoc('admin: forge');
const errors = { ...ADMIN_ERRORS, 409: ErrorEnvelopeSchema };
const Id = Type.Object({ id: Type.String({ maxLength: 100 }) });
const GameId = Type.Object({ game_id: Type.String({ minLength: 1, maxLength: 64 }) });
const Timestamp = Type.Union([Type.String({ maxLength: 40 }), Type.Number()], {
  description: '"YYYY-MM-DD HH:MM:SS" UTC, ISO 8601 or epoch seconds',
});

const CreateForgeKey = Type.Object(
  {
    partner: Type.String({ minLength: 1, maxLength: 64 }),
    game: Type.String({ minLength: 1, maxLength: 64 }),
    game_id: Type.String({ minLength: 1, maxLength: 64 }),
    daily_quota: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Requests per UTC day; default 500000' }),
    ),
  },
  { additionalProperties: false },
);
const CreatePlayer = Type.Object(
  { email: Type.Optional(Type.String({ maxLength: 254 })) },
  { additionalProperties: false },
);
const LinkWallet = Type.Object(
  { blockchain: Type.String({ maxLength: 32 }), address: Type.String({ maxLength: 128 }) },
  { additionalProperties: false },
);
const LinkPlatform = Type.Object(
  { platform: Type.String({ maxLength: 32 }), platform_user_id: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);
const CreateQuest = Type.Object(
  {
    type: StringEnum(QUEST_TYPES),
    target: Type.Number({ description: 'Hours, days or achievements; 1 for an achievement quest' }),
    achievement_title: Type.Optional(
      Type.String({ maxLength: 256, description: 'Required for type achievement' }),
    ),
    starts_at: Timestamp,
    ends_at: Timestamp,
    reward: Type.Object({ kind: Type.String({ maxLength: 64 }), amount: Type.Number({ minimum: 0 }) }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        type: 'hours_played',
        target: 10,
        starts_at: '2026-01-01 00:00:00',
        ends_at: '2026-02-01 00:00:00',
        reward: { kind: 'gems', amount: 100 },
      },
    ],
  },
);
const PlayerSchema = Type.Object({
  id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  wallets: Type.Array(Type.Object({ blockchain: Type.String(), address: Type.String() })),
  platforms: Type.Array(Type.Object({ platform: Type.String(), platform_user_id: Type.String() })),
  created_at: Type.String({ format: 'date-time' }),
});
const QuestSchema = Type.Object({
  id: Type.String(),
  game_id: Type.String(),
  type: Type.String(),
  target: Type.Number(),
  achievement_title: Type.Union([Type.String(), Type.Null()]),
  starts_at: Type.String(),
  ends_at: Type.String(),
  reward: Type.Object({ kind: Type.String(), amount: Type.Number() }),
  created_at: Type.String(),
});
const ForgeKeySchema = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'Shown only in this answer' }),
  partner: Type.String(),
  game: Type.String(),
  game_id: Type.String(),
  daily_quota: Type.Integer(),
});
const ForgeKeySummary = Type.Object({
  id: Type.String(),
  partner: Type.String(),
  game: Type.String(),
  game_id: Type.String(),
  daily_quota: Type.Integer(),
  used_today: Type.Integer({ description: 'Requests counted this UTC day' }),
  created_at: Type.String({ format: 'date-time' }),
  revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Reward = Type.Object({
  quest_id: Type.String(),
  kind: Type.String(),
  amount: Type.Number(),
  granted_at: Type.String(),
});
const Webhook = Type.Object(
  { url: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]) },
  { additionalProperties: false },
);
const WebhookAnswer = Type.Object({
  game_id: Type.String(),
  url: Type.Union([
    Type.String({ description: 'User name, password and query values shown as ***' }),
    Type.Null(),
  ]),
  secret: Type.Optional(
    Type.String({ description: 'The signing secret of a new webhook: shown only in this answer' }),
  ),
});
const RotatedSecret = Type.Object({
  game_id: Type.String(),
  secret: Type.String({ description: 'The new signing secret: shown only in this answer' }),
});

/** The operator's Forge API under /admin/v1: keys, players and their links, quests, progress and rewards. */
export function adminForgeRoutes(
  keys: ForgeKeyService,
  players: PlayersService,
  quests: QuestService,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));

    app.post(
      '/forge-keys',
      {
        schema: {
          ...admin,
          summary: 'Create a Forge key (shown once)',
          body: CreateForgeKey,
          response: { 201: ForgeKeySchema, ...errors },
        },
      },
      async (request, reply) => {
        const b = request.body;
        return reply.code(201).send(await keys.create(b.partner, b.game, b.game_id, b.daily_quota));
      },
    );
    app.get(
      '/forge-keys',
      {
        schema: {
          ...admin,
          summary: 'Forge keys with quota and use today',
          response: { 200: Type.Array(ForgeKeySummary), ...errors },
        },
      },
      () => keys.list(),
    );
    app.delete(
      '/forge-keys/:id',
      {
        schema: {
          ...admin,
          summary: 'Revoke a Forge key',
          params: Id,
          response: { 200: Type.Object({ id: Type.String(), revoked: Type.Literal(true) }), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        await keys.revoke(id);
        return { id, revoked: true as const };
      },
    );
    const Quota = Type.Object({ daily_quota: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
    app.put(
      '/forge-keys/:id/quota',
      {
        schema: {
          ...admin,
          summary: "Set a Forge key's daily quota",
          params: Id,
          body: Quota,
          response: { 200: Type.Object({ id: Type.String(), daily_quota: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { daily_quota } = request.body;
        await keys.setQuota(id, daily_quota);
        return { id, daily_quota };
      },
    );

    app.post(
      '/players',
      {
        schema: {
          ...admin,
          summary: 'Register a player',
          body: CreatePlayer,
          response: { 201: PlayerSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { email } = request.body;
        return reply.code(201).send(await players.create(email));
      },
    );
    app.get(
      '/players/:id',
      {
        schema: {
          ...admin,
          summary: 'A player with their wallets and platform ids',
          params: Id,
          response: { 200: PlayerSchema, ...errors },
        },
      },
      (request) => players.get(request.params.id),
    );
    app.post(
      '/players/:id/wallets',
      {
        schema: {
          ...admin,
          summary: 'Link a wallet',
          params: Id,
          body: LinkWallet,
          response: { 201: PlayerSchema, ...errors },
        },
      },
      async (request, reply) => {
        const b = request.body;
        return reply.code(201).send(await players.linkWallet(request.params.id, b.blockchain, b.address));
      },
    );
    app.post(
      '/players/:id/platforms',
      {
        schema: {
          ...admin,
          summary: 'Link a platform id',
          params: Id,
          body: LinkPlatform,
          response: { 201: PlayerSchema, ...errors },
        },
      },
      async (request, reply) => {
        const b = request.body;
        return reply
          .code(201)
          .send(await players.linkPlatform(request.params.id, b.platform, b.platform_user_id));
      },
    );
    app.get(
      '/players/:id/quests',
      {
        schema: {
          ...admin,
          summary: "A player's progress on every quest",
          params: Id,
          response: { 200: QuestProgressList, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        await players.get(id);
        return quests.progress(id);
      },
    );
    app.get(
      '/players/:id/rewards',
      {
        schema: {
          ...admin,
          summary: 'Rewards granted to a player',
          params: Id,
          response: { 200: Type.Array(Reward), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        await players.get(id);
        return quests.rewards(id);
      },
    );

    app.post(
      '/games/:game_id/quests',
      {
        schema: {
          ...admin,
          summary: 'Define a quest',
          params: GameId,
          body: CreateQuest,
          response: { 201: QuestSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { game_id } = request.params;
        return reply.code(201).send(await quests.create(game_id, request.body));
      },
    );
    app.get(
      '/games/:game_id/quests',
      {
        schema: {
          ...admin,
          summary: "A game's quests",
          params: GameId,
          response: { 200: Type.Array(QuestSchema), ...errors },
        },
      },
      (request) => quests.list(request.params.game_id),
    );
    app.put(
      '/games/:game_id/webhook',
      {
        schema: {
          ...admin,
          summary:
            'Set (or clear with null) the quest-completion webhook (a new one answers its signing secret once)',
          params: GameId,
          body: Webhook,
          response: { 200: WebhookAnswer, ...errors },
        },
      },
      (request) => {
        const { game_id } = request.params;
        return quests.setWebhook(game_id, request.body.url);
      },
    );
    app.post(
      '/games/:game_id/webhook/secret',
      {
        schema: {
          ...admin,
          summary: 'Rotate the signing secret of the quest-completion webhook: the new one is answered once',
          params: GameId,
          response: { 200: RotatedSecret, ...errors },
        },
      },
      (request) => quests.rotateWebhookSecret(request.params.game_id),
    );
  };
}
