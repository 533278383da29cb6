import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/database.js';

type Db = Kysely<Database> | Transaction<Database>;

/** SQL for the platform's players and the identities that recognise them. */
export class PlayersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  findPlayer(id: string, db: Db = this.db) {
    return db.selectFrom('forge_players').selectAll().where('id', '=', id).executeTakeFirst();
  }

  identitiesOf(playerId: string, db: Db = this.db): Promise<string[]> {
    return db
      .selectFrom('forge_identities')
      .select('identity_key')
      .where('player_id', '=', playerId)
      .orderBy('created_at')
      .orderBy('identity_key')
      .execute()
      .then((rows) => rows.map((r) => r.identity_key));
  }

  holderOf(identityKey: string, db: Db = this.db): Promise<string | undefined> {
    return db
      .selectFrom('forge_identities')
      .select('player_id')
      .where('identity_key', '=', identityKey)
      .executeTakeFirst()
      .then((r) => r?.player_id);
  }

  /** identity key → player id, for the identities some player holds. */
  async holders(identityKeys: readonly string[], db: Db = this.db): Promise<Map<string, string>> {
    if (identityKeys.length === 0) return new Map();
    const rows = await db
      .selectFrom('forge_identities')
      .select(['identity_key', 'player_id'])
      .where('identity_key', 'in', identityKeys)
      .execute();
    return new Map(rows.map((r) => [r.identity_key, r.player_id]));
  }

  async insertPlayer(
    trx: Transaction<Database>,
    id: string,
    email: string | null,
    at: number,
  ): Promise<void> {
    await trx.insertInto('forge_players').values({ id, email, created_at: at }).execute();
  }

  async setEmail(trx: Transaction<Database>, id: string, email: string): Promise<void> {
    await trx.updateTable('forge_players').set({ email }).where('id', '=', id).execute();
  }

  /** Links an identity; false when another player already holds it. */
  async link(
    trx: Transaction<Database>,
    playerId: string,
    identityKey: string,
    at: number,
  ): Promise<boolean> {
    const inserted = await trx
      .insertInto('forge_identities')
      .values({ identity_key: identityKey, player_id: playerId, created_at: at })
      .onConflict((oc) => oc.column('identity_key').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return true;
    return (await this.holderOf(identityKey, trx)) === playerId;
  }
}
