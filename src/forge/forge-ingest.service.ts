import { sql, type Kysely, type Transaction } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { ForgeCaller } from './forge-keys.service.js';
import {
  readAchievements,
  readSessions,
  type RecordError,
  type ValidAchievement,
  type ValidSession,
} from './forge-records.js';
import type { PlayersRepository } from './players.repository.js';
import type { QuestService } from './quests.service.js';

export interface ForgeIngestResult {
  records_processed: number;
  records_failed: number;
  errors: RecordError[];
}

/**
 * Forge playtime and achievements. Unlike 12traits batches, valid records are stored even
 * when others fail. Records are written by identity (the archive when nobody holds it) and
 * each known player's quest progress is recomputed in the same transaction.
 */
export class ForgeIngestService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly players: PlayersRepository,
    private readonly quests: QuestService,
    private readonly maxBatch: number,
    private readonly now: () => number = Date.now,
  ) {}

  private records(body: unknown): unknown[] {
    const records = Array.isArray(body) ? body : [body];
    if (records.length === 0)
      throw new AppError('bad_request', 'Empty batch: send one record or an array of records.');
    if (records.length > this.maxBatch) {
      throw new AppError('payload_too_large', `Too many records: at most ${this.maxBatch} per request.`);
    }
    return records;
  }

  async playtime(caller: ForgeCaller, body: unknown): Promise<ForgeIngestResult> {
    const { valid, errors } = readSessions(this.records(body));
    await this.write(caller.gameId, valid, (trx, at) => this.insertSessions(trx, caller.gameId, valid, at));
    return { records_processed: valid.length, records_failed: errors.length, errors };
  }

  async achievement(caller: ForgeCaller, body: unknown): Promise<ForgeIngestResult> {
    const receivedAt = this.now();
    const { valid, errors } = readAchievements(this.records(body), receivedAt);
    await this.write(caller.gameId, valid, (trx, at) =>
      this.upsertAchievements(trx, caller.gameId, valid, at),
    );
    return { records_processed: valid.length, records_failed: errors.length, errors };
  }

  private async write(
    gameId: string,
    valid: readonly { identityKey: string }[],
    insert: (trx: Transaction<Database>, at: number) => Promise<void>,
  ): Promise<void> {
    if (valid.length === 0) return;
    const at = this.now();
    await this.db.transaction().execute(async (trx) => {
      await insert(trx, at);
      const holders = await this.players.holders([...new Set(valid.map((v) => v.identityKey))], trx);
      // Sorted, so concurrent batches lock players in one order.
      await this.quests.recomputeMany(trx, [...new Set(holders.values())].sort(), gameId);
    });
  }

  private async insertSessions(
    trx: Transaction<Database>,
    gameId: string,
    sessions: readonly ValidSession[],
    at: number,
  ): Promise<void> {
    // The same identity, end and length is the same session: stored once however often it is sent.
    await trx
      .insertInto('forge_sessions')
      .values(
        sessions.map((s) => ({
          game_id: gameId,
          identity_key: s.identityKey,
          started_at: s.startedAt,
          ended_at: s.endedAt,
          hours: s.hours,
          record_id: s.recordId,
          received_at: at,
        })),
      )
      .onConflict((oc) => oc.columns(['game_id', 'identity_key', 'ended_at', 'hours']).doNothing())
      .execute();
  }

  private async upsertAchievements(
    trx: Transaction<Database>,
    gameId: string,
    achievements: readonly ValidAchievement[],
    at: number,
  ): Promise<void> {
    // One row per identity and title; within a batch the last record of a title wins.
    const byKey = new Map(achievements.map((a) => [`${a.identityKey}\n${a.title}`, a]));
    await trx
      .insertInto('forge_achievements')
      .values(
        [...byKey.values()].map((a) => ({
          game_id: gameId,
          identity_key: a.identityKey,
          title: a.title,
          description: a.description,
          unlocked: a.unlocked ? 1 : 0,
          unlock_time: a.unlockTime,
          record_id: a.recordId,
          received_at: at,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['game_id', 'identity_key', 'title']).doUpdateSet({
          // A replay changes nothing; a first unlock after a locked record records its time.
          unlock_time: sql`case when excluded.unlocked > forge_achievements.unlocked then excluded.unlock_time else forge_achievements.unlock_time end`,
          unlocked: sql`case when excluded.unlocked > forge_achievements.unlocked then excluded.unlocked else forge_achievements.unlocked end`,
          description: sql`coalesce(excluded.description, forge_achievements.description)`,
        }),
      )
      .execute();
  }
}
