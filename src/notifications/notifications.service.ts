import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Job, JobQueue } from '../jobs/job-queue.js';
import type { JobHandler } from '../jobs/job-worker.js';
import type { Database } from '../store/database.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';

export const NOTIFICATION_JOB = 'notification';
/** Deliveries are retried with backoff (1 s, 2 s, 4 s… up to an hour apart) this many times. */
const DELIVERY_ATTEMPTS = 10;
const DELIVERY_TIMEOUT_MS = 10_000;

/** What a dashboard's webhook receives (the `event` names the kind). */
export interface Notification {
  event: string;
  dashboard_id: string;
  occurred_at: string;
  [detail: string]: unknown;
}

interface Payload {
  notification: Notification;
}

/** `http(s)://…` only: anything else is refused before it is stored. */
function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('bad_request', 'webhook_url must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('bad_request', 'webhook_url must be an absolute http:// or https:// URL');
  }
  if (url.username || url.password) {
    throw new AppError('bad_request', 'webhook_url must not contain a user name or password');
  }
  return url.toString();
}

/**
 * Operational alerts of a dashboard (a sync that failed) POSTed as JSON to the dashboard's
 * webhook URL. Each alert is a durable job: a receiver that is down gets it later, with
 * backoff, and an alert is never lost to a restart.
 */
export class NotificationService implements JobHandler {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenancy: TenancyService,
    private readonly queue: JobQueue,
    private readonly now: () => number = Date.now,
  ) {}

  async setWebhook(dashboardId: string, webhookUrl: string | null): Promise<{ webhook_url: string | null }> {
    await this.tenancy.getDashboard(dashboardId);
    if (webhookUrl === null) {
      await this.db.deleteFrom('dashboard_notifications').where('dashboard_id', '=', dashboardId).execute();
      return { webhook_url: null };
    }
    const url = checkUrl(webhookUrl);
    const at = this.now();
    await this.db
      .insertInto('dashboard_notifications')
      .values({ dashboard_id: dashboardId, webhook_url: url, updated_at: at })
      .onConflict((oc) => oc.column('dashboard_id').doUpdateSet({ webhook_url: url, updated_at: at }))
      .execute();
    return { webhook_url: url };
  }

  async webhook(dashboardId: string): Promise<{ webhook_url: string | null }> {
    await this.tenancy.getDashboard(dashboardId);
    return { webhook_url: (await this.urlOf(dashboardId)) ?? null };
  }

  private async urlOf(dashboardId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('dashboard_notifications')
      .select('webhook_url')
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirst();
    return row?.webhook_url;
  }

  /** Queues an alert when the dashboard has a webhook; does nothing otherwise. */
  async notify(notification: Notification): Promise<void> {
    if (!(await this.urlOf(notification.dashboard_id))) return;
    const payload: Payload = { notification };
    await this.queue.enqueue({ kind: NOTIFICATION_JOB, payload, maxAttempts: DELIVERY_ATTEMPTS });
  }

  /** The job: one POST to the URL set now (a URL changed meanwhile gets it); non-2xx is retried. */
  async run(job: Job): Promise<void> {
    const { notification } = JSON.parse(job.payload) as Payload;
    const url = await this.urlOf(notification.dashboard_id);
    if (!url) return;
    let status: number;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'traitforge-notifications' },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        redirect: 'error',
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      throw new Error(`the webhook could not be reached: ${(error as Error).message}`);
    }
    if (status < 200 || status > 299) throw new Error(`the webhook answered HTTP ${status}`);
  }
}
