import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { utcDay } from '../domain/timestamp.js';
import type { Database, ForgeKeyTable } from '../store/database.js';
import { hashSecret, randomId, secretsEqual } from '../tenancy/secrets.js';

export const DEFAULT_DAILY_QUOTA = 500_000;
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PART = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;

/** The game a Forge key speaks for. */
export interface ForgeCaller {
  keyId: string;
  partner: string;
  game: string;
  gameId: string;
  dailyQuota: number;
}

export interface ForgeKeySummary {
  id: string;
  partner: string;
  game: string;
  game_id: string;
  daily_quota: number;
  used_today: number;
  created_at: string;
  revoked_at: string | null;
}

/** Splits a decoded key into its four parts; undefined when it is not Forge-shaped. */
export function decodeForgeKey(
  key: string,
): { partner: string; game: string; gameId: string; secret: string } | undefined {
  if (key.length > 512 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return undefined;
  const parts = Buffer.from(key, 'base64').toString('utf8').split(':');
  if (parts.length !== 4) return undefined;
  const [partner, game, gameId, secret] = parts as [string, string, string, string];
  if (secret.length !== 12) return undefined;
  return { partner, game, gameId, secret };
}

/**
 * Forge keys: base64("<partner>:<game>:<game-id>:<12-char secret>"), stored as a SHA-256
 * hash; each request is counted against a per-key daily quota held in the database.
 */
export class ForgeKeyService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    partner: string,
    game: string,
    gameId: string,
    dailyQuota = DEFAULT_DAILY_QUOTA,
  ): Promise<
    { id: string; key: string } & Omit<ForgeKeySummary, 'id' | 'used_today' | 'revoked_at' | 'created_at'>
  > {
    for (const [name, value] of [
      ['partner', partner],
      ['game', game],
      ['game_id', gameId],
    ] as const) {
      if (!PART.test(value)) {
        throw new AppError(
          'bad_request',
          `${name} must be 1 to 64 letters, digits, spaces, dots, dashes or underscores (no ":")`,
        );
      }
    }
    if (!Number.isInteger(dailyQuota) || dailyQuota < 1)
      throw new AppError('bad_request', 'daily_quota must be a whole number ≥ 1');
    const secret = Array.from({ length: 12 }, () => SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)]).join(
      '',
    );
    const key = Buffer.from(`${partner}:${game}:${gameId}:${secret}`, 'utf8').toString('base64');
    const row: ForgeKeyTable = {
      id: randomId('fk'),
      partner,
      game,
      game_id: gameId,
      key_hash: hashSecret(key),
      daily_quota: dailyQuota,
      created_at: this.now(),
      revoked_at: null,
    };
    await this.db.insertInto('forge_keys').values(row).execute();
    return { id: row.id, key, partner, game, game_id: gameId, daily_quota: dailyQuota };
  }

  async list(): Promise<ForgeKeySummary[]> {
    const today = utcDay(this.now());
    const rows = await this.db
      .selectFrom('forge_keys as k')
      .leftJoin('forge_usage as u', (j) => j.onRef('u.key_id', '=', 'k.id').on('u.day', '=', today))
      .select([
        'k.id',
        'k.partner',
        'k.game',
        'k.game_id',
        'k.daily_quota',
        'k.created_at',
        'k.revoked_at',
        'u.count',
      ])
      .orderBy('k.created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      partner: r.partner,
      game: r.game,
      game_id: r.game_id,
      daily_quota: r.daily_quota,
      used_today: r.count ?? 0,
      created_at: new Date(r.created_at).toISOString(),
      revoked_at: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
    }));
  }

  async revoke(id: string): Promise<void> {
    const row = await this.db
      .selectFrom('forge_keys')
      .select(['id', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `there is no Forge key ${id}`);
    if (row.revoked_at === null) {
      await this.db.updateTable('forge_keys').set({ revoked_at: this.now() }).where('id', '=', id).execute();
    }
  }

  /** True when the text is a live Forge key (to answer 403, not 401, on the other API family). */
  async isForgeKey(key: string): Promise<boolean> {
    if (!decodeForgeKey(key)) return false;
    const row = await this.db
      .selectFrom('forge_keys')
      .select('id')
      .where('key_hash', '=', hashSecret(key))
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Resolves X-API-Key; the decoded parts must match what was stored for that key. */
  async authenticate(key: string | undefined): Promise<ForgeCaller> {
    const decoded = key === undefined ? undefined : decodeForgeKey(key.trim());
    if (key === undefined || !decoded) throw new AppError('unauthorized', 'UnAuthorized');
    const row = await this.db
      .selectFrom('forge_keys')
      .selectAll()
      .where('key_hash', '=', hashSecret(key.trim()))
      .executeTakeFirst();
    const matches =
      row !== undefined &&
      secretsEqual(row.key_hash, hashSecret(key.trim())) &&
      row.partner === decoded.partner &&
      row.game === decoded.game &&
      row.game_id === decoded.gameId;
    if (!matches || row.revoked_at !== null) throw new AppError('unauthorized', 'UnAuthorized');
    return {
      keyId: row.id,
      partner: row.partner,
      game: row.game,
      gameId: row.game_id,
      dailyQuota: row.daily_quota,
    };
  }

  /**
   * Counts one request against today's quota (UTC day) in one atomic statement, so the count
   * is exact across server processes; throws 429 past the quota (refused requests are not counted).
   */
  async countRequest(caller: ForgeCaller): Promise<void> {
    const day = utcDay(this.now());
    const counted = await this.db
      .insertInto('forge_usage')
      .values({ key_id: caller.keyId, day, count: 1 })
      .onConflict((oc) =>
        oc
          .columns(['key_id', 'day'])
          .doUpdateSet((eb) => ({ count: eb('forge_usage.count', '+', 1) }))
          .where('forge_usage.count', '<', caller.dailyQuota),
      )
      .returning('count')
      .executeTakeFirst();
    if (!counted) throw new AppError('quota_exceeded', 'Quota exceeded');
  }

  async setQuota(id: string, dailyQuota: number): Promise<void> {
    if (!Number.isInteger(dailyQuota) || dailyQuota < 1)
      throw new AppError('bad_request', 'daily_quota must be a whole number ≥ 1');
    const result = await this.db
      .updateTable('forge_keys')
      .set({ daily_quota: dailyQuota })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new AppError('not_found', `there is no Forge key ${id}`);
  }
}
