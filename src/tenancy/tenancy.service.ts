import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Environment } from '../domain/records.js';
import type { ApiKeyTable } from '../store/database.js';
import { hashSecret, randomId, randomToken } from './secrets.js';
import type { TenancyRepository } from './tenancy.repository.js';

/** Who is calling a 12traits endpoint: one dashboard and one environment. */
export interface Principal {
  dashboardId: string;
  environment: Environment;
  keyId: string;
}

export interface CreatedKey {
  id: string;
  key: string;
  environment: Environment;
  prefix: string;
}

export interface KeySummary {
  id: string;
  environment: Environment;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

export interface DashboardSummary {
  id: string;
  name: string;
  slug: string | null;
  created_at: string;
}

const KEY_TAG: Record<Environment, string> = { production: 'tf_live_', sandbox: 'tf_test_' };
const PREFIX_LENGTH = 14;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** Dashboards (tenants), their environments and API keys. Keys are shown once and stored hashed. */
export class TenancyService {
  constructor(
    private readonly repo: TenancyRepository,
    /** Recognises a key of the other API family (Forge), which is 403 here rather than 401. */
    private readonly isOtherFamilyKey: (key: string) => Promise<boolean> = () => Promise.resolve(false),
    private readonly now: () => number = Date.now,
  ) {}

  private newKey(dashboardId: string, environment: Environment): { row: ApiKeyTable; created: CreatedKey } {
    const key = KEY_TAG[environment] + randomToken(32);
    const row: ApiKeyTable = {
      id: randomId('key'),
      dashboard_id: dashboardId,
      environment,
      prefix: key.slice(0, PREFIX_LENGTH),
      key_hash: hashSecret(key),
      created_at: this.now(),
      revoked_at: null,
    };
    return { row, created: { id: row.id, key, environment, prefix: row.prefix } };
  }

  async createDashboard(
    name: string,
    slug?: string,
  ): Promise<DashboardSummary & { keys: Record<Environment, CreatedKey> }> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 200) {
      throw new AppError('bad_request', 'name must be 1 to 200 characters');
    }
    if (slug !== undefined) {
      if (!SLUG.test(slug)) {
        throw new AppError('bad_request', 'slug must be 1 to 63 lowercase letters, digits or dashes');
      }
      if (await this.repo.findDashboardBySlug(slug)) {
        throw new AppError('conflict', `slug "${slug}" is taken by another dashboard`);
      }
    }
    const dashboard = { id: randomId('dsh'), name: trimmed, slug: slug ?? null, created_at: this.now() };
    const production = this.newKey(dashboard.id, 'production');
    const sandbox = this.newKey(dashboard.id, 'sandbox');
    if (!(await this.repo.createDashboard(dashboard, [production.row, sandbox.row]))) {
      // Checked above, but a concurrent request may have taken the slug since.
      throw new AppError('conflict', `slug "${slug ?? ''}" is taken by another dashboard`);
    }
    return {
      id: dashboard.id,
      name: dashboard.name,
      slug: dashboard.slug,
      created_at: iso(dashboard.created_at),
      keys: { production: production.created, sandbox: sandbox.created },
    };
  }

  async listDashboards(): Promise<DashboardSummary[]> {
    return (await this.repo.listDashboards()).map((d) => ({ ...d, created_at: iso(d.created_at) }));
  }

  async getDashboard(id: string): Promise<DashboardSummary> {
    const dashboard = await this.repo.findDashboard(id);
    if (!dashboard) throw new AppError('not_found', `dashboard ${id} does not exist`);
    return { ...dashboard, created_at: iso(dashboard.created_at) };
  }

  async createKey(dashboardId: string, environment: Environment): Promise<CreatedKey> {
    await this.getDashboard(dashboardId);
    const { row, created } = this.newKey(dashboardId, environment);
    await this.repo.insertKey(row);
    return created;
  }

  async listKeys(dashboardId: string): Promise<KeySummary[]> {
    await this.getDashboard(dashboardId);
    return (await this.repo.listKeys(dashboardId)).map((k) => ({
      id: k.id,
      environment: k.environment,
      prefix: k.prefix,
      created_at: iso(k.created_at),
      revoked_at: k.revoked_at === null ? null : iso(k.revoked_at),
    }));
  }

  async revokeKey(dashboardId: string, keyId: string): Promise<void> {
    await this.getDashboard(dashboardId);
    if (await this.repo.revokeKey(dashboardId, keyId, this.now())) return;
    if (await this.repo.keyExists(dashboardId, keyId)) return; // revoking twice is harmless
    throw new AppError('not_found', `dashboard ${dashboardId} has no key ${keyId}`);
  }

  /**
   * Resolves an API key to its dashboard and environment. Looked up on every call (no cache),
   * so a revoked key is refused at once by every server process.
   */
  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <API_KEY>"');
    if (key.length > 200) throw new AppError('unauthorized', 'invalid API key');
    const hash = hashSecret(key);
    const row = await this.repo.findKeyByHash(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) {
      if (await this.isOtherFamilyKey(key)) {
        throw new AppError(
          'forbidden',
          'this is a Forge partner key: the 12traits API takes a dashboard API key',
        );
      }
      throw new AppError('unauthorized', 'invalid API key');
    }
    if (row.revoked_at !== null) throw new AppError('unauthorized', 'this API key has been revoked');
    return { dashboardId: row.dashboard_id, environment: row.environment, keyId: row.id };
  }

  /** True when the text is a live 12traits key (to answer 403, not 401, on the Forge API). */
  async isApiKey(key: string): Promise<boolean> {
    if (key.length > 200) return false;
    const row = await this.repo.findKeyByHash(hashSecret(key));
    return row !== undefined && row.revoked_at === null;
  }

  /** First-version paths name the game: it must be the key's own dashboard (id or slug). */
  async checkGame(principal: Principal, game: string): Promise<void> {
    if (game === principal.dashboardId) return;
    const dashboard = await this.repo.findDashboard(principal.dashboardId);
    if (dashboard?.slug !== game) {
      throw new AppError('forbidden', `this API key does not belong to game "${game}"`);
    }
  }
}
