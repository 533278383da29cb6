import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';

const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Delivers quest-completion webhooks from the outbox written with each reward. A delivery is
 * claimed with a conditional update (one process wins, on either backend), POSTed with a
 * timeout, and retried with exponential backoff until `maxAttempts`.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { maxAttempts?: number; timeoutMs?: number; baseBackoffMs?: number } = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends what is due; returns how many were delivered. */
  async runOnce(limit = 20): Promise<number> {
    const now = this.now();
    const due = await this.db
      .selectFrom('forge_webhook_deliveries')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('failed_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    let delivered = 0;
    for (const d of due) {
      const claimed = await this.db
        .updateTable('forge_webhook_deliveries')
        .set({ next_attempt_at: now + LEASE_MS })
        .where('id', '=', d.id)
        .where('next_attempt_at', '=', d.next_attempt_at)
        .where('delivered_at', 'is', null)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) continue;
      const error = await this.post(d.url, d.payload);
      const attempts = d.attempts + 1;
      if (error === undefined) {
        await this.db
          .updateTable('forge_webhook_deliveries')
          .set({ attempts, delivered_at: this.now(), last_error: null })
          .where('id', '=', d.id)
          .execute();
        delivered++;
        continue;
      }
      const giveUp = attempts >= (this.options.maxAttempts ?? 10);
      const backoff = Math.min((this.options.baseBackoffMs ?? 1000) * 2 ** (attempts - 1), MAX_BACKOFF_MS);
      await this.db
        .updateTable('forge_webhook_deliveries')
        .set({
          attempts,
          last_error: error,
          next_attempt_at: this.now() + backoff,
          failed_at: giveUp ? this.now() : null,
        })
        .where('id', '=', d.id)
        .execute();
    }
    return delivered;
  }

  private async post(url: string, payload: string): Promise<string | undefined> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'traitforge-webhooks' },
        body: payload,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await res.body?.cancel();
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch(() => 0)
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
