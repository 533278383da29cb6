import { AppError } from '../errors.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import type { WebhookTarget } from '../webhooks/webhook-endpoints.repository.js';
import type { WebhookService } from '../webhooks/webhook.service.js';

/** What a dashboard's webhook receives (the `event` names the kind). */
export interface Notification {
  event: string;
  dashboard_id: string;
  occurred_at: string;
  [detail: string]: unknown;
}

export interface NotificationWebhook {
  webhook_url: string | null;
  /** The signing secret, only in the answer that created it. */
  secret?: string;
}

const target = (dashboardId: string): WebhookTarget => ({ scope: 'dashboard', owner: dashboardId });

/**
 * Operational alerts of a dashboard (a sync that failed) POSTed as JSON to the dashboard's
 * webhook, through the one webhook delivery path: a durable, signed job per alert, retried
 * with backoff, never lost to a restart.
 */
export class NotificationService {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly webhooks: WebhookService,
  ) {}

  async setWebhook(dashboardId: string, webhookUrl: string | null): Promise<NotificationWebhook> {
    await this.tenancy.getDashboard(dashboardId);
    const { url, secret } = await this.webhooks.setEndpoint(target(dashboardId), webhookUrl, 'webhook_url');
    return secret === undefined ? { webhook_url: url } : { webhook_url: url, secret };
  }

  async webhook(dashboardId: string): Promise<NotificationWebhook> {
    await this.tenancy.getDashboard(dashboardId);
    return { webhook_url: (await this.webhooks.endpoint(target(dashboardId))).url };
  }

  /** A new signing secret for the dashboard's webhook, shown in this answer only. */
  async rotateSecret(dashboardId: string): Promise<{ secret: string }> {
    await this.tenancy.getDashboard(dashboardId);
    const secret = await this.webhooks.rotateSecret(target(dashboardId));
    if (secret === undefined)
      throw new AppError('not_found', `dashboard ${dashboardId} has no notification webhook`);
    return { secret };
  }

  /** Queues an alert when the dashboard has a webhook; does nothing otherwise. */
  async notify(notification: Notification): Promise<void> {
    const to = target(notification.dashboard_id);
    if (!(await this.webhooks.hasEndpoint(to))) return;
    await this.webhooks.enqueue(to, notification.event, [notification]);
  }
}
