import { sql, type Kysely, type Transaction } from 'kysely';
import { AppError } from '../errors.js';
import { formatTimestamp, parseTimestamp } from '../domain/timestamp.js';
import type { Database, ForgeProgressTable, ForgeQuestTable, ForgeRewardTable } from '../store/database.js';
import { randomId } from '../tenancy/secrets.js';
import type { WebhookTarget } from '../webhooks/webhook-endpoints.repository.js';
import type { WebhookService } from '../webhooks/webhook.service.js';
import { percentOf, questCurrent, QUEST_TYPES, type QuestType } from './quest-progress.js';
import { round } from '../domain/round.js';

export interface QuestInput {
  type: string;
  target: number;
  achievement_title?: string | undefined;
  starts_at: string | number;
  ends_at: string | number;
  reward: { kind: string; amount: number };
}

export interface QuestView {
  id: string;
  game_id: string;
  type: QuestType;
  target: number;
  achievement_title: string | null;
  starts_at: string;
  ends_at: string;
  reward: { kind: string; amount: number };
  created_at: string;
}

export interface ProgressView {
  quest_id: string;
  type: QuestType;
  current: number;
  target: number;
  percent: number;
  completed_at: string | null;
}

export interface RewardView {
  quest_id: string;
  kind: string;
  amount: number;
  granted_at: string;
}

const WHOLE_TARGET: ReadonlySet<string> = new Set([
  'days_in_week',
  'days_in_row',
  'achievement',
  'achievements_count',
]);
export const QUEST_COMPLETED = 'quest.completed';
const webhookOf = (gameId: string): WebhookTarget => ({ scope: 'game', owner: gameId });
/** Player × quest rows one chunk writes at most: statements stay far below SQLite's 32766 parameters. */
const MAX_CHUNK_ROWS = 1000;

function checkGameId(gameId: string): void {
  if (gameId.length === 0 || gameId.length > 64)
    throw new AppError('bad_request', 'game_id must be 1 to 64 characters');
}

function view(q: ForgeQuestTable): QuestView {
  return {
    id: q.id,
    game_id: q.game_id,
    type: q.type as QuestType,
    target: q.target,
    achievement_title: q.achievement_title,
    starts_at: formatTimestamp(q.starts_at),
    ends_at: formatTimestamp(q.ends_at),
    reward: { kind: q.reward_kind, amount: q.reward_amount },
    created_at: formatTimestamp(q.created_at),
  };
}

/**
 * Quests per game and each player's progress. Progress is recomputed from the player's
 * records (all their identities) inside the writing transaction, with the player's row
 * locked where the backend has row locks, so concurrent batches for one player serialize;
 * the reward's primary key makes the grant happen exactly once.
 */
export class QuestService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rowLocks: boolean,
    private readonly webhooks: WebhookService,
    private readonly now: () => number = Date.now,
  ) {}

  async create(gameId: string, input: QuestInput): Promise<QuestView> {
    const quest = this.validate(gameId, input);
    await this.db.insertInto('forge_quests').values(quest).execute();
    // Play already recorded inside the window counts: bring every player of the game up to date.
    const players = await this.playersOfGame(gameId);
    for (const playerId of players) {
      await this.db.transaction().execute((trx) => this.recompute(trx, playerId, gameId));
    }
    return view(quest);
  }

  private validate(gameId: string, input: QuestInput): ForgeQuestTable {
    checkGameId(gameId);
    if (!(QUEST_TYPES as readonly string[]).includes(input.type)) {
      throw new AppError('bad_request', `type must be one of ${QUEST_TYPES.join(', ')}`);
    }
    const type = input.type as QuestType;
    const target = type === 'achievement' ? 1 : input.target;
    if (!Number.isFinite(target) || target <= 0)
      throw new AppError('bad_request', 'target must be a number above 0');
    if (WHOLE_TARGET.has(type) && !Number.isInteger(target))
      throw new AppError('bad_request', `target of a ${type} quest must be a whole number`);
    if (type === 'days_in_week' && target > 7)
      throw new AppError('bad_request', 'target of a days_in_week quest is at most 7');
    const title = input.achievement_title?.trim();
    if (title !== undefined && title.length > 256)
      throw new AppError('bad_request', 'achievement_title must be at most 256 characters');
    if (type === 'achievement' && !title)
      throw new AppError('bad_request', 'achievement_title is required for an achievement quest');
    const startsAt = parseTimestamp(input.starts_at);
    const endsAt = parseTimestamp(input.ends_at);
    if (startsAt === undefined)
      throw new AppError(
        'bad_request',
        'starts_at must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds',
      );
    if (endsAt === undefined)
      throw new AppError(
        'bad_request',
        'ends_at must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds',
      );
    if (endsAt <= startsAt) throw new AppError('bad_request', 'ends_at must be after starts_at');
    const kind = input.reward.kind.trim();
    if (kind.length === 0 || kind.length > 64)
      throw new AppError('bad_request', 'reward.kind must be 1 to 64 characters');
    if (!Number.isFinite(input.reward.amount) || input.reward.amount < 0)
      throw new AppError('bad_request', 'reward.amount must be a number ≥ 0');
    return {
      id: randomId('qst'),
      game_id: gameId,
      type,
      target,
      achievement_title: type === 'achievement' || type === 'achievements_count' ? (title ?? null) : null,
      starts_at: startsAt,
      ends_at: endsAt,
      reward_kind: kind,
      reward_amount: input.reward.amount,
      created_at: this.now(),
    };
  }

  async list(gameId: string): Promise<QuestView[]> {
    const rows = await this.db
      .selectFrom('forge_quests')
      .selectAll()
      .where('game_id', '=', gameId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(view);
  }

  /** Players holding an identity that has records in the game. */
  private async playersOfGame(gameId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('forge_identities')
      .select('player_id')
      .distinct()
      .where('identity_key', 'in', (eb) =>
        eb
          .selectFrom('forge_sessions')
          .select('identity_key')
          .where('game_id', '=', gameId)
          .union(eb.selectFrom('forge_achievements').select('identity_key').where('game_id', '=', gameId)),
      )
      .orderBy('player_id')
      .execute();
    return rows.map((r) => r.player_id);
  }

  /** Games that have quests and records of this player: what a new link can move. */
  async recomputePlayer(playerId: string): Promise<void> {
    const keys = (
      await this.db
        .selectFrom('forge_identities')
        .select('identity_key')
        .where('player_id', '=', playerId)
        .execute()
    ).map((r) => r.identity_key);
    if (keys.length === 0) return;
    const games = await this.db
      .selectFrom('forge_quests')
      .select('game_id')
      .distinct()
      .where('game_id', 'in', (eb) =>
        eb
          .selectFrom('forge_sessions')
          .select('game_id')
          .where('identity_key', 'in', keys)
          .union(eb.selectFrom('forge_achievements').select('game_id').where('identity_key', 'in', keys)),
      )
      .execute();
    for (const { game_id } of games) {
      await this.db.transaction().execute((trx) => this.recompute(trx, playerId, game_id));
    }
  }

  /** Recomputes one player's progress on one game's quests, granting completed rewards once. */
  recompute(trx: Transaction<Database>, playerId: string, gameId: string): Promise<void> {
    return this.recomputeMany(trx, [playerId], gameId);
  }

  /**
   * Recomputes several players' progress on one game's quests (players sorted, so concurrent
   * batches lock them in one order), in a fixed number of statements per chunk of players
   * instead of a dozen per player; rewards are granted once each, as before.
   */
  async recomputeMany(
    trx: Transaction<Database>,
    playerIds: readonly string[],
    gameId: string,
  ): Promise<void> {
    if (playerIds.length === 0) return;
    const quests = await trx.selectFrom('forge_quests').selectAll().where('game_id', '=', gameId).execute();
    if (quests.length === 0) {
      if (this.rowLocks) await this.lockPlayers(trx, playerIds);
      return;
    }
    const hooked = await this.webhooks.hasEndpoint(webhookOf(gameId), trx);
    const chunk = Math.max(1, Math.floor(MAX_CHUNK_ROWS / quests.length));
    for (let i = 0; i < playerIds.length; i += chunk) {
      await this.recomputeChunk(trx, playerIds.slice(i, i + chunk), gameId, quests, hooked);
    }
  }

  private async lockPlayers(trx: Transaction<Database>, playerIds: readonly string[]): Promise<void> {
    // FOR UPDATE locks rows in the order the sort returns them: the same order as one by one.
    await sql`select id from forge_players where id in (${sql.join(playerIds)}) order by id for update`.execute(
      trx,
    );
  }

  private async recomputeChunk(
    trx: Transaction<Database>,
    playerIds: readonly string[],
    gameId: string,
    quests: readonly ForgeQuestTable[],
    hooked: boolean,
  ): Promise<void> {
    if (this.rowLocks) await this.lockPlayers(trx, playerIds);
    const identities = await trx
      .selectFrom('forge_identities')
      .select(['identity_key', 'player_id'])
      .where('player_id', 'in', playerIds)
      .execute();
    if (identities.length === 0) return;
    const owner = new Map(identities.map((r) => [r.identity_key, r.player_id]));
    const keys = [...owner.keys()];
    const sessions = new Map<string, { start: number; end: number }[]>();
    for (const s of await trx
      .selectFrom('forge_sessions')
      .select(['identity_key', 'started_at', 'ended_at'])
      .where('game_id', '=', gameId)
      .where('identity_key', 'in', keys)
      .execute()) {
      const player = owner.get(s.identity_key)!;
      const list = sessions.get(player) ?? [];
      list.push({ start: s.started_at, end: s.ended_at });
      sessions.set(player, list);
    }
    const unlocks = new Map<string, { title: string; at: number }[]>();
    for (const a of await trx
      .selectFrom('forge_achievements')
      .select(['identity_key', 'title', 'unlock_time'])
      .where('game_id', '=', gameId)
      .where('identity_key', 'in', keys)
      .where('unlocked', '=', 1)
      .execute()) {
      const player = owner.get(a.identity_key)!;
      const list = unlocks.get(player) ?? [];
      list.push({ title: a.title, at: a.unlock_time });
      unlocks.set(player, list);
    }
    const existing = new Map(
      (
        await trx
          .selectFrom('forge_progress')
          .select(['player_id', 'quest_id', 'completed_at'])
          .where('player_id', 'in', playerIds)
          .where(
            'quest_id',
            'in',
            quests.map((q) => q.id),
          )
          .execute()
      ).map((p) => [`${p.player_id}\n${p.quest_id}`, p.completed_at]),
    );
    const now = this.now();
    const grants: ForgeRewardTable[] = [];
    const progress: ForgeProgressTable[] = [];
    // Only players holding an identity, as one by one (a player without any is left alone).
    const holders = new Set(owner.values());
    for (const playerId of playerIds) {
      if (!holders.has(playerId)) continue;
      const own = sessions.get(playerId) ?? [];
      const ownUnlocks = unlocks.get(playerId) ?? [];
      for (const quest of quests) {
        const current = round(
          questCurrent(
            {
              type: quest.type as QuestType,
              target: quest.target,
              achievementTitle: quest.achievement_title,
              startsAt: quest.starts_at,
              endsAt: quest.ends_at,
            },
            own,
            ownUnlocks,
          ),
        );
        let completedAt = existing.get(`${playerId}\n${quest.id}`) ?? null;
        if (completedAt === null && current >= quest.target) {
          grants.push({
            player_id: playerId,
            quest_id: quest.id,
            kind: quest.reward_kind,
            amount: quest.reward_amount,
            granted_at: now,
          });
          completedAt = now;
        }
        progress.push({
          player_id: playerId,
          quest_id: quest.id,
          current,
          completed_at: completedAt,
          updated_at: now,
        });
      }
    }
    if (grants.length > 0) {
      // Only the grants this statement wrote come back: a reward granted elsewhere first is not sent again.
      const granted = await trx
        .insertInto('forge_rewards')
        .values(grants)
        .onConflict((oc) => oc.columns(['player_id', 'quest_id']).doNothing())
        .returning(['player_id', 'quest_id'])
        .execute();
      // The deliveries are queued in the reward's transaction: a grant is never without its webhook.
      if (hooked && granted.length > 0) {
        const wrote = new Set(granted.map((g) => `${g.player_id}\n${g.quest_id}`));
        await this.webhooks.enqueue(
          webhookOf(gameId),
          QUEST_COMPLETED,
          grants
            .filter((g) => wrote.has(`${g.player_id}\n${g.quest_id}`))
            .map((g) => ({
              event: QUEST_COMPLETED,
              game_id: gameId,
              quest_id: g.quest_id,
              player_id: g.player_id,
              reward: { kind: g.kind, amount: g.amount },
              completed_at: formatTimestamp(now),
            })),
          trx,
        );
      }
    }
    if (progress.length > 0) {
      await trx
        .insertInto('forge_progress')
        .values(progress)
        .onConflict((oc) =>
          oc.columns(['player_id', 'quest_id']).doUpdateSet({
            current: sql`excluded.current`,
            completed_at: sql`excluded.completed_at`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .execute();
    }
  }

  /** Progress of a player on every quest of a game (or of every game), zero where nothing counted yet. */
  async progress(playerId: string, gameId?: string): Promise<ProgressView[]> {
    let query = this.db
      .selectFrom('forge_quests as q')
      .leftJoin('forge_progress as p', (j) =>
        j.onRef('p.quest_id', '=', 'q.id').on('p.player_id', '=', playerId),
      )
      .select(['q.id', 'q.type', 'q.target', 'p.current', 'p.completed_at']);
    query =
      gameId === undefined
        ? query.where('p.player_id', '=', playerId)
        : query.where('q.game_id', '=', gameId);
    const rows = await query.orderBy('q.created_at').orderBy('q.id').execute();
    return rows.map((r) => ({
      quest_id: r.id,
      type: r.type as QuestType,
      current: r.current ?? 0,
      target: r.target,
      percent: percentOf(r.current ?? 0, r.target),
      completed_at: r.completed_at === null ? null : formatTimestamp(r.completed_at),
    }));
  }

  /** Games that have quests, with how many each has (the dashboard's quest overview). */
  async games(): Promise<{ game_id: string; quests: number }[]> {
    const rows = await this.db
      .selectFrom('forge_quests')
      .select((eb) => ['game_id', eb.fn.countAll<number | string>().as('quests')])
      .groupBy('game_id')
      .orderBy('game_id')
      .execute();
    return rows.map((r) => ({ game_id: r.game_id, quests: Number(r.quests) }));
  }

  /** Players who completed each quest of a game: one reward is granted per completion, exactly once. */
  async completionCounts(gameId: string): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('forge_rewards as r')
      .innerJoin('forge_quests as q', 'q.id', 'r.quest_id')
      .select((eb) => ['r.quest_id', eb.fn.countAll<number | string>().as('completed')])
      .where('q.game_id', '=', gameId)
      .groupBy('r.quest_id')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.quest_id, Number(r.completed)]));
  }

  /** A game's latest rewards, newest first. */
  async recentRewards(gameId: string, limit = 20): Promise<(RewardView & { player_id: string })[]> {
    const rows = await this.db
      .selectFrom('forge_rewards as r')
      .innerJoin('forge_quests as q', 'q.id', 'r.quest_id')
      .select(['r.player_id', 'r.quest_id', 'r.kind', 'r.amount', 'r.granted_at'])
      .where('q.game_id', '=', gameId)
      .orderBy('r.granted_at', 'desc')
      .orderBy('r.player_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      player_id: r.player_id,
      quest_id: r.quest_id,
      kind: r.kind,
      amount: r.amount,
      granted_at: formatTimestamp(r.granted_at),
    }));
  }

  async rewards(playerId: string): Promise<RewardView[]> {
    const rows = await this.db
      .selectFrom('forge_rewards')
      .selectAll()
      .where('player_id', '=', playerId)
      .orderBy('granted_at')
      .orderBy('quest_id')
      .execute();
    return rows.map((r) => ({
      quest_id: r.quest_id,
      kind: r.kind,
      amount: r.amount,
      granted_at: formatTimestamp(r.granted_at),
    }));
  }

  /** Sets (or with null clears) the game's completion webhook; a new one's secret is answered once. */
  async setWebhook(
    gameId: string,
    url: string | null,
  ): Promise<{ game_id: string; url: string | null; secret?: string }> {
    checkGameId(gameId);
    const set = await this.webhooks.setEndpoint(webhookOf(gameId), url, 'url');
    return { game_id: gameId, ...set };
  }

  /** A new signing secret for the game's webhook, shown in this answer only. */
  async rotateWebhookSecret(gameId: string): Promise<{ game_id: string; secret: string }> {
    checkGameId(gameId);
    const secret = await this.webhooks.rotateSecret(webhookOf(gameId));
    if (secret === undefined) throw new AppError('not_found', `game ${gameId} has no quest webhook`);
    return { game_id: gameId, secret };
  }
}
