import type { Transaction } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { randomId } from '../tenancy/secrets.js';
import {
  IdentityError,
  identityKey,
  normalizeEmail,
  normalizePlatform,
  normalizeWallet,
  type Identity,
} from './identity.js';
import type { PlayersRepository } from './players.repository.js';
import type { QuestService } from './quests.service.js';

export interface PlayerView {
  id: string;
  email: string | null;
  wallets: { blockchain: string; address: string }[];
  platforms: { platform: string; platform_user_id: string }[];
  created_at: string;
}

function parseKey(key: string): Identity | undefined {
  const [kind, a = '', ...rest] = key.split(':');
  const b = rest.join(':');
  if (kind === 'wallet') return { kind, blockchain: a as never, address: b };
  if (kind === 'platform') return { kind, platform: a, platformUserId: b };
  return undefined;
}

function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof IdentityError) throw new AppError('bad_request', error.message);
    throw error;
  }
}

/**
 * The platform's own player accounts. Registering or linking an identity makes the records
 * archived under it the player's at once (records are keyed by identity), and their quest
 * progress is then computed as if those records had just arrived.
 */
export class PlayersService {
  constructor(
    private readonly repo: PlayersRepository,
    private readonly quests: QuestService,
    private readonly now: () => number = Date.now,
  ) {}

  async create(email: string | undefined): Promise<PlayerView> {
    const normalized = email === undefined ? null : checked(() => normalizeEmail(email));
    const id = randomId('ply');
    await this.repo.transaction(async (trx) => {
      await this.repo.insertPlayer(trx, id, null, this.now());
      if (normalized !== null)
        await this.linkIn(trx, id, identityKey({ kind: 'email', email: normalized }), normalized);
    });
    await this.quests.recomputePlayer(id);
    return this.get(id);
  }

  async get(id: string): Promise<PlayerView> {
    const player = await this.repo.findPlayer(id);
    if (!player) throw new AppError('not_found', `there is no player ${id}`);
    const identities = (await this.repo.identitiesOf(id)).map(parseKey);
    return {
      id: player.id,
      email: player.email,
      wallets: identities.flatMap((i) =>
        i?.kind === 'wallet' ? [{ blockchain: i.blockchain, address: i.address }] : [],
      ),
      platforms: identities.flatMap((i) =>
        i?.kind === 'platform' ? [{ platform: i.platform, platform_user_id: i.platformUserId }] : [],
      ),
      created_at: new Date(player.created_at).toISOString(),
    };
  }

  linkWallet(id: string, blockchain: string, address: string): Promise<PlayerView> {
    const wallet = checked(() => normalizeWallet(blockchain, address));
    return this.link(id, identityKey({ kind: 'wallet', ...wallet }));
  }

  linkPlatform(id: string, platform: string, platformUserId: string): Promise<PlayerView> {
    const p = checked(() => normalizePlatform(platform, platformUserId));
    return this.link(id, identityKey({ kind: 'platform', ...p }));
  }

  private async link(id: string, key: string): Promise<PlayerView> {
    await this.repo.transaction(async (trx) => {
      if (!(await this.repo.findPlayer(id, trx))) throw new AppError('not_found', `there is no player ${id}`);
      await this.linkIn(trx, id, key, null);
    });
    await this.quests.recomputePlayer(id);
    return this.get(id);
  }

  private async linkIn(
    trx: Transaction<Database>,
    id: string,
    key: string,
    email: string | null,
  ): Promise<void> {
    if (!(await this.repo.link(trx, id, key, this.now()))) {
      throw new AppError('conflict', 'another player already holds this identity');
    }
    if (email !== null) await this.repo.setEmail(trx, id, email);
  }

  /** The player holding an identity, for partner reads. */
  async holderOf(identity: Identity): Promise<string | undefined> {
    return this.repo.holderOf(identityKey(identity));
  }
}
