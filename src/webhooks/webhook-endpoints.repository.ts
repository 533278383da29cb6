import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, WebhookEndpointTable, WebhookScope } from '../store/database.js';

export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;

/** Whose webhook: a dashboard's notifications, or a Forge game's quest completions. */
export interface WebhookTarget {
  scope: WebhookScope;
  owner: string;
}

/** The SQL of `webhook_endpoints`: one row per target, URL and secret as the service gives them. */
export class WebhookEndpointsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  get(
    target: WebhookTarget,
    trx: Kysely<Database> | Transaction<Database> = this.db,
  ): Promise<WebhookEndpointRow | undefined> {
    return trx
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('scope', '=', target.scope)
      .where('owner_id', '=', target.owner)
      .executeTakeFirst();
  }

  /** Sets the URL; the secret is written only for a new row (an existing one keeps its own). */
  async upsert(target: WebhookTarget, url: string, secret: string, at: number): Promise<void> {
    await this.db
      .insertInto('webhook_endpoints')
      .values({ scope: target.scope, owner_id: target.owner, url, secret, created_at: at, updated_at: at })
      .onConflict((oc) => oc.columns(['scope', 'owner_id']).doUpdateSet({ url, updated_at: at }))
      .execute();
  }

  async setSecret(target: WebhookTarget, secret: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_endpoints')
      .set({ secret, updated_at: at })
      .where('scope', '=', target.scope)
      .where('owner_id', '=', target.owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async remove(target: WebhookTarget): Promise<void> {
    await this.db
      .deleteFrom('webhook_endpoints')
      .where('scope', '=', target.scope)
      .where('owner_id', '=', target.owner)
      .execute();
  }

  /** Rows whose URL is stored in the clear but carries credentials (set before URLs were sealed). */
  plainUrlsWithCredentials(): Promise<Pick<WebhookEndpointRow, 'scope' | 'owner_id' | 'url'>[]> {
    return this.db
      .selectFrom('webhook_endpoints')
      .select(['scope', 'owner_id', 'url'])
      .where('url', 'like', 'http%')
      .where((eb) => eb.or([eb('url', 'like', '%@%'), eb('url', 'like', '%?%')]))
      .execute();
  }

  /** Replaces a URL only if it is still the one read (a concurrent change wins). */
  async replaceUrl(target: WebhookTarget, from: string, to: string): Promise<void> {
    await this.db
      .updateTable('webhook_endpoints')
      .set({ url: to })
      .where('scope', '=', target.scope)
      .where('owner_id', '=', target.owner)
      .where('url', '=', from)
      .execute();
  }
}
