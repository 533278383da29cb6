import { AppError, ThrottledError } from '../errors.js';
import { hashSecret, randomId, randomToken, secretsEqual } from '../tenancy/secrets.js';
import type { SecretBox } from '../tenancy/secret-box.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { DashboardAuthRepository } from './dashboard-auth.repository.js';
import {
  DUMMY_HASH,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './password.js';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Failed sign-ins allowed per window: per e-mail address, and per client address. */
export const THROTTLE = { windowMs: 15 * 60 * 1000, perEmail: 5, perIp: 20 } as const;
/** Password hashes computed at once by this process, and sign-ins that may wait for one. */
export const HASHING = { concurrent: 2, queued: 64 } as const;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/** Who a signed-in browser is: the operator (every dashboard) or a member of one dashboard. */
export type Viewer =
  | { kind: 'operator'; csrf: string; sessionHash: string }
  | {
      kind: 'member';
      csrf: string;
      sessionHash: string;
      memberId: string;
      dashboardId: string;
      email: string;
    };

export interface SignedIn {
  /** The cookie value: shown to the browser only, stored as its SHA-256. */
  sessionId: string;
  viewer: Viewer;
}

export interface MemberView {
  id: string;
  dashboard_id: string;
  email: string;
  created_at: number;
}

/** Sign-in rules for the web dashboard: operator token, member passwords, sessions, throttling. */
export class DashboardAuthService {
  constructor(
    private readonly repo: DashboardAuthRepository,
    private readonly tenancy: TenancyService,
    private readonly adminToken: string | undefined,
    /** The server key (made on first use without TRAITFORGE_SECRET_KEY): operator sessions store the admin token's keyed hash. */
    private readonly secrets: () => SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /** What an operator session stores of the admin token: a keyed hash, never one a dump can test guesses against. */
  private operatorTokenHash(): string | undefined {
    return this.adminToken === undefined
      ? undefined
      : this.secrets().keyedHash('dashboard operator token', this.adminToken);
  }

  private readonly hashing = new ConcurrencyLimit(
    HASHING.concurrent,
    HASHING.queued,
    'too many sign-ins at once: try again in a few seconds',
  );

  get operatorSignInEnabled(): boolean {
    return this.adminToken !== undefined;
  }

  async createMember(dashboardId: string, email: string, password: string): Promise<MemberView> {
    await this.tenancy.getDashboard(dashboardId);
    const address = email.trim().toLowerCase();
    if (address.length > 254 || !EMAIL.test(address)) {
      throw new AppError('bad_request', 'enter an e-mail address such as ana@studio.example');
    }
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      throw new AppError('bad_request', `the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const member = {
      id: randomId('mbr'),
      dashboard_id: dashboardId,
      email: address,
      password_hash: await this.hashing.run(() => hashPassword(password)),
      created_at: this.now(),
    };
    if (!(await this.repo.insertMember(member))) {
      throw new AppError('conflict', `${address} already has an account`);
    }
    return { id: member.id, dashboard_id: dashboardId, email: address, created_at: member.created_at };
  }

  listMembers(dashboardId: string): Promise<MemberView[]> {
    return this.repo.listMembers(dashboardId);
  }

  async deleteMember(dashboardId: string, memberId: string): Promise<void> {
    if (!(await this.repo.deleteMember(dashboardId, memberId))) {
      throw new AppError('not_found', `dashboard ${dashboardId} has no member ${memberId}`);
    }
  }

  async signInOperator(token: string, ip: string): Promise<SignedIn> {
    if (this.adminToken === undefined) {
      throw new AppError('forbidden', 'operator sign-in is off: set TRAITFORGE_ADMIN_TOKEN to enable it');
    }
    const ipKey = `ip:${ip}`;
    await this.reserveAttempt({ [ipKey]: THROTTLE.perIp });
    if (!secretsEqual(token, this.adminToken)) {
      throw new AppError('unauthorized', 'that is not the admin token');
    }
    await this.repo.releaseAttempt(ipKey);
    return this.startSession(null, this.operatorTokenHash() ?? null, (csrf, sessionHash) => ({
      kind: 'operator',
      csrf,
      sessionHash,
    }));
  }

  async signInMember(email: string, password: string, ip: string): Promise<SignedIn> {
    const address = email.trim().toLowerCase().slice(0, 254);
    const keys = { ip: `ip:${ip}`, email: `email:${address}` };
    // Counted before the password is checked: the attempt is a failure unless it succeeds.
    await this.reserveAttempt({ [keys.ip]: THROTTLE.perIp, [keys.email]: THROTTLE.perEmail });
    const member = await this.repo.findMemberByEmail(address);
    // An unknown address costs the same scrypt as a known one: timing does not reveal accounts.
    const ok = await this.hashing.run(() =>
      verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), member?.password_hash ?? DUMMY_HASH),
    );
    if (!member || !ok) throw new AppError('unauthorized', 'wrong e-mail or password');
    await this.repo.releaseAttempt(keys.ip);
    await this.repo.clearFailures(keys.email);
    return this.startSession(member.id, null, (csrf, sessionHash) => ({
      kind: 'member',
      csrf,
      sessionHash,
      memberId: member.id,
      dashboardId: member.dashboard_id,
      email: member.email,
    }));
  }

  /** The viewer of a session cookie; undefined when unknown or expired. */
  async viewer(sessionId: string | undefined): Promise<Viewer | undefined> {
    if (!sessionId || sessionId.length > 100) return undefined;
    const sessionHash = hashSecret(sessionId);
    const row = await this.repo.findSession(sessionHash, this.now());
    if (!row) return undefined;
    if (row.member_id === null) {
      // Changing the admin token ends every operator session made with the old one.
      const current = this.operatorTokenHash();
      if (
        row.operator_token_hash === null ||
        current === undefined ||
        !secretsEqual(row.operator_token_hash, current)
      )
        return undefined;
      return { kind: 'operator', csrf: row.csrf_token, sessionHash };
    }
    if (row.dashboard_id === null || row.email === null) return undefined; // the member was removed
    return {
      kind: 'member',
      csrf: row.csrf_token,
      sessionHash,
      memberId: row.member_id,
      dashboardId: row.dashboard_id,
      email: row.email,
    };
  }

  async signOut(viewer: Viewer): Promise<void> {
    await this.repo.deleteSession(viewer.sessionHash);
  }

  /** The synchronizer token check: constant time, and never true for an empty token. */
  csrfMatches(viewer: Viewer, sent: string | undefined): boolean {
    return sent !== undefined && sent.length > 0 && secretsEqual(sent, viewer.csrf);
  }

  private windowStart(): number {
    return this.now() - THROTTLE.windowMs;
  }

  /**
   * Counts this attempt against each key's limit before anything is checked (one statement, so
   * it holds across parallel requests and server processes); over a limit → 429 with the
   * seconds until that key's window ends.
   */
  private async reserveAttempt(limits: Record<string, number>): Promise<void> {
    const now = this.now();
    await this.repo.sweep(this.windowStart());
    const rows = await this.repo.reserveAttempt(Object.keys(limits), now, this.windowStart());
    const over = rows.filter((row) => row.failures > (limits[row.key] ?? 0));
    if (over.length === 0) return;
    const endsAt = Math.max(...over.map((row) => row.window_started_at + THROTTLE.windowMs));
    throw new ThrottledError(
      `too many failed sign-ins: wait ${THROTTLE.windowMs / 60_000} minutes and try again`,
      // A parallel attempt may have opened the window a few ms after this one's `now`.
      Math.max(1, Math.ceil(Math.min(endsAt - now, THROTTLE.windowMs) / 1000)),
    );
  }

  private async startSession(
    memberId: string | null,
    operatorTokenHash: string | null,
    viewer: (csrf: string, sessionHash: string) => Viewer,
  ): Promise<SignedIn> {
    const sessionId = randomToken(32);
    const csrf = randomToken(32);
    const now = this.now();
    const sessionHash = hashSecret(sessionId);
    await this.repo.insertSession(
      {
        id_hash: sessionHash,
        member_id: memberId,
        operator_token_hash: operatorTokenHash,
        csrf_token: csrf,
        created_at: now,
        expires_at: now + SESSION_TTL_MS,
      },
      now,
    );
    return { sessionId, viewer: viewer(csrf, sessionHash) };
  }
}
