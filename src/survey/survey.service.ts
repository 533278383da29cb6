import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import { isCareless, type CarelessSignal } from './careless.js';
import { isAnswer, isResponse, missingItems, scoreAnswers } from './scoring.js';
import { SURVEY_LAYOUT, type PageEntry, type SurveyLayout } from './survey-layout.js';
import { SurveyQualityService } from './survey-quality.service.js';
import type {
  Participant,
  ParticipantSummary,
  ParticipantUpdate,
  SurveyRepository,
  SurveyScope,
} from './survey.repository.js';
import type { PartialTraitScores } from './trait-catalogue.js';

export interface SurveyOptions {
  /** A page answered faster than this per statement counts as rushed; 0 turns the check off. */
  minMsPerItem: number;
  /** The careless-responding indices at completion (made from the repository if not given). */
  quality?: SurveyQualityService;
  /** How long a survey link works. */
  tokenTtlMs?: number;
  /** Told after a completion has committed (e.g. to recompute personas); errors are swallowed. */
  onCompleted?: (dashboardId: string, environment: SurveyScope['environment'], userId: string) => void;
  now?: () => number;
  layout?: SurveyLayout;
}

export const DEFAULT_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
/** When this version of the item bank was published: the survey's `modified_on` floor. */
export const SURVEY_RELEASED_AT = Date.UTC(2026, 10, 22);

export type RegistrationStatus = 'requested' | 'completed' | 'disqualified';

export interface Registration {
  token: string;
  expiresAt: number;
  status: RegistrationStatus;
}

export interface SurveyDetails {
  createdAt: number;
  modifiedAt: number;
  statistics: { Partial: number; Disqualified: number; Complete: number };
}

/** How many players of a scope are at each stage; `registered` is all of them. */
export interface SurveyCounts {
  registered: number;
  /** Registered, not started (no page answered yet). */
  requested: number;
  partial: number;
  disqualified: number;
  complete: number;
}

/** Seconds a player takes per statement, for the first page's time estimate. */
export const SECONDS_PER_STATEMENT = 5;

/** What the survey link shows. */
export type SurveyView =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'completed' }
  | { kind: 'disqualified' }
  | {
      /** The first page: the game, the purpose, the time it takes, and the player's consent. */
      kind: 'intro';
      gameName: string;
      statements: number;
      pages: number;
      minutes: number;
      /** The form was sent without ticking the consent box. */
      consentMissing: boolean;
    }
  | {
      kind: 'page';
      page: number;
      pageCount: number;
      entries: readonly PageEntry[];
      nonce: string;
      /** Answers to show as chosen (a form sent back incomplete). */
      answers: ReadonlyMap<string, number>;
      /** Statements left unanswered in a form sent back. */
      missing: readonly string[];
      /** The previous page was answered very fast: ask the player to take their time. */
      warnRushed: boolean;
    };

export interface PageSubmission {
  page: number;
  nonce: string;
  /** Entry id → the chosen value as sent (validated here). */
  answers: ReadonlyMap<string, number>;
}

/** After a submission: show the link's current state, or the page again with what is missing. */
export type SubmitOutcome =
  | { kind: 'redirect' }
  | Extract<SurveyView, { kind: 'invalid' | 'expired' | 'page' | 'intro' }>;

const TOKEN_PATTERN = /^[0-9a-f]{40}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The stored reason of a careless-responding disqualification: the signals that raised it. */
function carelessReason(signals: readonly CarelessSignal[]): string {
  return `careless:${signals.join('+')}`;
}

function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The survey's rules: registration and links, page by page progress, the attention and speed
 * checks, completion with scoring. No HTTP here: the routes translate.
 */
export class SurveyService {
  private readonly now: () => number;
  private readonly layout: SurveyLayout;
  private readonly tokenTtlMs: number;
  private readonly quality: SurveyQualityService;

  constructor(
    private readonly repo: SurveyRepository,
    private readonly options: SurveyOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.layout = options.layout ?? SURVEY_LAYOUT;
    this.tokenTtlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.quality = options.quality ?? new SurveyQualityService(repo, { layout: this.layout });
  }

  get pageCount(): number {
    return this.layout.pages.length;
  }

  /**
   * A fresh link for the player. Earlier unexpired links keep working (a game may register again
   * each time it shows the link); progress belongs to the player, not the link.
   */
  async register(scope: SurveyScope, userId: string): Promise<Registration> {
    const now = this.now();
    const token = randomBytes(20).toString('hex');
    const expiresAt = now + this.tokenTtlMs;
    const participant = await this.repo.transaction(async (repo) => {
      await repo.addParticipant(scope, userId, now);
      await repo.deleteExpiredTokens(scope, userId, now);
      await repo.addToken({
        token_hash: hashToken(token),
        dashboard_id: scope.dashboardId,
        environment: scope.environment,
        user_id: userId,
        created_at: now,
        expires_at: expiresAt,
      });
      return repo.findParticipant(scope, userId);
    });
    const status: RegistrationStatus =
      participant?.status === 'completed' || participant?.status === 'disqualified'
        ? participant.status
        : 'requested';
    return { token, expiresAt, status };
  }

  async status(
    scope: SurveyScope,
    userId: string,
  ): Promise<{ completed: boolean; completedAt: number | null }> {
    const participant = await this.repo.findParticipant(scope, userId);
    if (!participant) {
      throw new AppError(
        'not_found',
        `user "${userId}" was never registered for the survey: register it with POST /v1/assessment/user/register`,
      );
    }
    const completed = participant.status === 'completed';
    return { completed, completedAt: completed ? Number(participant.completed_at) : null };
  }

  async details(scope: SurveyScope): Promise<SurveyDetails> {
    const [createdAt, counts] = await Promise.all([
      this.repo.dashboardCreatedAt(scope.dashboardId),
      this.repo.statusCounts(scope),
    ]);
    const created = createdAt ?? SURVEY_RELEASED_AT;
    return {
      createdAt: created,
      modifiedAt: Math.max(created, SURVEY_RELEASED_AT),
      statistics: {
        Partial: counts.get('partial') ?? 0,
        Disqualified: counts.get('disqualified') ?? 0,
        Complete: counts.get('completed') ?? 0,
      },
    };
  }

  /** Players per stage, for the dashboard (one grouped count). */
  async counts(scope: SurveyScope): Promise<SurveyCounts> {
    const counts = await this.repo.statusCounts(scope);
    const of = (status: Participant['status']) => counts.get(status) ?? 0;
    return {
      registered: [...counts.values()].reduce((sum, n) => sum + n, 0),
      requested: of('requested'),
      partial: of('partial'),
      disqualified: of('disqualified'),
      complete: of('completed'),
    };
  }

  /** The newest registrations, newest first, at most `limit`. */
  recentParticipants(scope: SurveyScope, limit: number): Promise<ParticipantSummary[]> {
    return this.repo.recentParticipants(scope, limit);
  }

  /** The player behind a link, or why the link does not work. */
  private async resolve(
    token: string | undefined,
  ): Promise<
    { kind: 'invalid' } | { kind: 'expired' } | { kind: 'ok'; scope: SurveyScope; participant: Participant }
  > {
    if (token === undefined || !TOKEN_PATTERN.test(token)) return { kind: 'invalid' };
    const hash = hashToken(token);
    const row = await this.repo.findToken(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return { kind: 'invalid' };
    if (row.expires_at <= this.now()) return { kind: 'expired' };
    const scope = { dashboardId: row.dashboard_id, environment: row.environment };
    const participant = await this.repo.findParticipant(scope, row.user_id);
    // The player's data was deleted: the link leads nowhere any more.
    if (!participant) return { kind: 'invalid' };
    return { kind: 'ok', scope, participant };
  }

  /** What the link shows now: the current page (its clock starts the first time), or the end. */
  async view(token: string | undefined): Promise<SurveyView> {
    const link = await this.resolve(token);
    if (link.kind !== 'ok') return link;
    let { participant } = link;
    if (participant.status === 'completed' || participant.status === 'disqualified') {
      return { kind: participant.status };
    }
    if (participant.consented_at === null) return this.intro(link.scope, false);
    if (participant.page_nonce === null) {
      await this.repo.startPage(link.scope, participant.user_id, participant.page, newNonce(), this.now());
      // Two first views at once: whichever nonce was stored is the page's.
      participant = (await this.repo.findParticipant(link.scope, participant.user_id)) ?? participant;
    }
    return this.pageView(participant, new Map(), []);
  }

  private async intro(
    scope: SurveyScope,
    consentMissing: boolean,
  ): Promise<Extract<SurveyView, { kind: 'intro' }>> {
    const statements = this.layout.entryCount;
    return {
      kind: 'intro',
      gameName: (await this.repo.dashboardName(scope.dashboardId)) ?? 'this game',
      statements,
      pages: this.layout.pages.length,
      minutes: Math.ceil((statements * SECONDS_PER_STATEMENT) / 60),
      consentMissing,
    };
  }

  /** The first page's answer: consent starts the survey; without it the page is shown again. */
  async consent(token: string | undefined, agreed: boolean): Promise<SubmitOutcome> {
    const link = await this.resolve(token);
    if (link.kind !== 'ok') return link;
    const { participant } = link;
    // Finished, or agreed already: nothing to record. A player part-way through a survey begun
    // before the consent page existed (status partial) is asked once, then continues.
    if (
      participant.consented_at !== null ||
      participant.status === 'completed' ||
      participant.status === 'disqualified'
    )
      return { kind: 'redirect' };
    if (!agreed) return this.intro(link.scope, true);
    await this.repo.consent(link.scope, participant.user_id, this.now());
    return { kind: 'redirect' };
  }

  private pageView(
    participant: Participant,
    answers: ReadonlyMap<string, number>,
    missing: readonly string[],
  ): Extract<SurveyView, { kind: 'page' }> {
    const page = this.currentPage(participant);
    return {
      kind: 'page',
      page,
      pageCount: this.layout.pages.length,
      entries: this.layout.pages[page]!,
      nonce: participant.page_nonce ?? '',
      answers,
      missing,
      warnRushed: participant.warn_rushed === 1,
    };
  }

  /** One page's answers: saved, checked, and the player moved on (or out). */
  async submit(token: string | undefined, form: PageSubmission): Promise<SubmitOutcome> {
    const link = await this.resolve(token);
    if (link.kind !== 'ok') return link;
    const { scope, participant } = link;
    const userId = participant.user_id;
    if (participant.status === 'completed' || participant.status === 'disqualified')
      return { kind: 'redirect' };
    if (participant.consented_at === null) return { kind: 'redirect' };
    // An old page (back button, a second tab, a replayed form): show where the player really is.
    const current = this.currentPage(participant);
    if (form.page !== current || participant.page_nonce === null || form.nonce !== participant.page_nonce) {
      return { kind: 'redirect' };
    }
    const entries = this.layout.pages[current]!;
    const answers = new Map<string, number>();
    for (const entry of entries) {
      const value = form.answers.get(entry.id);
      const valid = entry.kind === 'check' ? isAnswer(value) : isResponse(entry.id, value);
      if (valid && value !== undefined) answers.set(entry.id, value);
    }
    const missing = entries.filter((e) => !answers.has(e.id)).map((e) => e.id);
    if (missing.length > 0) return this.pageView(participant, answers, missing);

    const now = this.now();
    const failedCheck = entries.some((e) => e.kind === 'check' && answers.get(e.id) !== e.check.expected);
    const elapsed = now - (participant.page_shown_at ?? now);
    const rushed = this.options.minMsPerItem > 0 && elapsed < this.options.minMsPerItem * entries.length;
    const base = {
      rushedPages: participant.rushed_pages + (rushed ? 1 : 0),
      now,
      disqualifiedReason: failedCheck ? 'attention_check' : null,
      completedAt: null,
      pageNonce: null,
      pageShownAt: null,
      warnRushed: rushed,
    };
    // The last page is judged before the transaction: the careless indices read other players' answers.
    const next = await this.nextState(scope, participant, answers, base);

    const completed = await this.repo.transaction(async (repo) => {
      // Someone else moved this player on meanwhile (a double submission): nothing to write.
      if (!(await repo.advance(scope, userId, participant.page, form.nonce, next.update))) return false;
      await repo.saveResponses(scope, userId, answers, now);
      if (next.scores) await repo.saveTraitScores(scope, userId, next.scores, now);
      return next.scores !== undefined;
    });
    if (completed && this.options.onCompleted) {
      try {
        this.options.onCompleted(scope.dashboardId, scope.environment, userId);
      } catch {
        // A listener's failure must not undo or fail the player's completion.
      }
    }
    return { kind: 'redirect' };
  }

  /**
   * Where a valid page leads: out (a failed attention check), the next page, or the end: scored,
   * or disqualified when the careless-responding indices raise two signals or more.
   */
  private async nextState(
    scope: SurveyScope,
    participant: Participant,
    answers: ReadonlyMap<string, number>,
    base: Omit<ParticipantUpdate, 'status' | 'page'>,
  ): Promise<{ update: ParticipantUpdate; scores?: PartialTraitScores }> {
    if (base.disqualifiedReason)
      return { update: { ...base, status: 'disqualified', page: participant.page } };
    const toPage = (page: number): ParticipantUpdate => ({
      ...base,
      status: 'partial',
      page,
      pageNonce: newNonce(),
      pageShownAt: base.now,
    });
    const current = this.currentPage(participant);
    if (current < this.layout.pages.length - 1) return { update: toPage(current + 1) };
    const all = new Map([...(await this.repo.responses(scope, participant.user_id)), ...answers]);
    const missing = missingItems(all);
    // Only after a change of the item bank: back to the first page with a gap.
    if (missing.length > 0) return { update: toPage(this.firstPageWith(missing)) };
    const { indices, signals } = await this.quality.assess(scope, all, base.rushedPages);
    const quality = { ...indices, signals };
    const end = { ...base, page: participant.page, warnRushed: false, quality };
    if (isCareless(signals)) {
      return { update: { ...end, status: 'disqualified', disqualifiedReason: carelessReason(signals) } };
    }
    return { update: { ...end, status: 'completed', completedAt: base.now }, scores: scoreAnswers(all) };
  }

  /** The stored page, within the layout even if a newer item bank has fewer pages. */
  private currentPage(participant: Participant): number {
    return Math.min(participant.page, this.layout.pages.length - 1);
  }

  private firstPageWith(itemIds: readonly string[]): number {
    const wanted = new Set(itemIds);
    const index = this.layout.pages.findIndex((page) => page.some((e) => wanted.has(e.id)));
    return index < 0 ? 0 : index;
  }
}
