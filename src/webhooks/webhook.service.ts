import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../errors.js';
import type { Job, JobQueue } from '../jobs/job-queue.js';
import { PermanentJobError, type JobHandler } from '../jobs/job-worker.js';
import type { Database } from '../store/database.js';
import type { SecretBox } from '../tenancy/secret-box.js';
import { DestinationRefusedError, type DestinationPolicy } from './destination-policy.js';
import { postOnce } from './outbound-post.js';
import type { WebhookEndpointsRepository, WebhookTarget } from './webhook-endpoints.repository.js';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  newSigningSecret,
  SIGNATURE_HEADER,
  signatureHeader,
} from './webhook-signature.js';
import { hasCredentials, parseWebhookUrl, redactUrl } from './webhook-url.js';

export const WEBHOOK_JOB = 'webhook';
/** Deliveries are retried with backoff (1 s, 2 s, 4 s… up to an hour apart) this many times. */
export const DELIVERY_ATTEMPTS = 10;
const DELIVERY_TIMEOUT_MS = 10_000;

/** A delivery job: whose endpoint, the event name and the exact body (signed as is on every attempt). */
export interface DeliveryPayload {
  scope: WebhookTarget['scope'];
  owner: string;
  event: string;
  body: string;
}

export interface EndpointView {
  /** Redacted: user name, password and query values as `***`. */
  url: string | null;
  /** The signing secret, present only in the answer that created it. */
  secret?: string;
}

const isPlainUrl = (stored: string) => /^https?:\/\//i.test(stored);

/**
 * The one delivery path of outbound webhooks (dashboard notifications, quest completions):
 * endpoints with a sealed signing secret and a URL sealed when it carries credentials; each
 * event a durable job, POSTed through the destination policy, signed, never redirected, and
 * retried with backoff. The job id is the delivery id receivers deduplicate on.
 */
export class WebhookService implements JobHandler {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly queue: JobQueue,
    private readonly policy: DestinationPolicy,
    private readonly secrets: () => SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sets (or with null removes) a target's endpoint. `field` names the request's field in a
   * refusal. A new endpoint gets a signing secret, answered here once.
   */
  async setEndpoint(target: WebhookTarget, value: string | null, field: string): Promise<EndpointView> {
    if (value === null) {
      await this.endpoints.remove(target);
      return { url: null };
    }
    const url = parseWebhookUrl(value, field);
    const refusal = this.policy.urlRefusal(url);
    if (refusal !== undefined) throw new AppError('bad_request', `${field}: ${refusal}`);
    const existing = await this.endpoints.get(target);
    const secret = existing ? undefined : newSigningSecret();
    const stored = hasCredentials(url) ? this.secrets().seal(url.toString()) : url.toString();
    // The secret of a new row only: a concurrent first set keeps the row that won, whose secret
    // that caller showed; ours is then not stored, so it must not be shown either.
    await this.endpoints.upsert(
      target,
      stored,
      this.secrets().seal(secret ?? newSigningSecret()),
      this.now(),
    );
    const view: EndpointView = { url: redactUrl(url) };
    if (secret !== undefined && (await this.secretOf(target)) === secret) view.secret = secret;
    return view;
  }

  async endpoint(target: WebhookTarget): Promise<EndpointView> {
    const row = await this.endpoints.get(target);
    return { url: row ? redactUrl(new URL(this.open(row.url))) : null };
  }

  /** A new signing secret for the target's endpoint; undefined when it has none. */
  async rotateSecret(target: WebhookTarget): Promise<string | undefined> {
    const secret = newSigningSecret();
    return (await this.endpoints.setSecret(target, this.secrets().seal(secret), this.now()))
      ? secret
      : undefined;
  }

  /** Whether the target has an endpoint (read in the caller's transaction when given one). */
  async hasEndpoint(target: WebhookTarget, trx?: Transaction<Database>): Promise<boolean> {
    return (await this.endpoints.get(target, trx)) !== undefined;
  }

  /** Queues one delivery per event body (in the caller's transaction when given one). */
  async enqueue(
    target: WebhookTarget,
    event: string,
    bodies: readonly unknown[],
    trx: Kysely<Database> | Transaction<Database> = this.db,
  ): Promise<string[]> {
    return this.queue.enqueueMany(
      bodies.map((body) => {
        const payload: DeliveryPayload = {
          scope: target.scope,
          owner: target.owner,
          event,
          body: JSON.stringify(body),
        };
        return { kind: WEBHOOK_JOB, payload, maxAttempts: DELIVERY_ATTEMPTS };
      }),
      trx,
    );
  }

  /** The job: one signed POST to the endpoint set now (a URL changed meanwhile gets it); non-2xx is retried. */
  async run(job: Job): Promise<void> {
    const delivery = JSON.parse(job.payload) as DeliveryPayload;
    const row = await this.endpoints.get({ scope: delivery.scope, owner: delivery.owner });
    if (!row) return; // the endpoint was removed: nobody is waiting for it
    const url = new URL(this.open(row.url));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'traitforge-webhooks',
      [DELIVERY_HEADER]: job.id,
      [EVENT_HEADER]: delivery.event,
    };
    if (row.secret !== null) {
      const secret = this.secrets().open(row.secret);
      headers[SIGNATURE_HEADER] = signatureHeader(secret, delivery.body, Math.floor(this.now() / 1000));
    }
    let status: number;
    try {
      status = await postOnce(this.policy, url, delivery.body, { headers, timeoutMs: DELIVERY_TIMEOUT_MS });
    } catch (error) {
      // The policy does not change between attempts: retrying a refused destination cannot help.
      if (error instanceof DestinationRefusedError)
        throw new PermanentJobError(`the destination is refused: ${error.message}`);
      throw new Error(`the webhook could not be reached: ${(error as Error).message}`);
    }
    if (status >= 300 && status < 400)
      throw new Error(`the webhook answered HTTP ${status} (redirects are not followed)`);
    if (status < 200 || status > 299) throw new Error(`the webhook answered HTTP ${status}`);
  }

  /** Seals URLs with credentials stored in the clear before sealing existed (run by workers). */
  async sealStoredUrls(): Promise<number> {
    let sealed = 0;
    for (const row of await this.endpoints.plainUrlsWithCredentials()) {
      if (!hasCredentials(new URL(row.url))) continue;
      await this.endpoints.replaceUrl(
        { scope: row.scope, owner: row.owner_id },
        row.url,
        this.secrets().seal(row.url),
      );
      sealed++;
    }
    return sealed;
  }

  private async secretOf(target: WebhookTarget): Promise<string | undefined> {
    const row = await this.endpoints.get(target);
    return row?.secret ? this.secrets().open(row.secret) : undefined;
  }

  private open(stored: string): string {
    return isPlainUrl(stored) ? stored : this.secrets().open(stored);
  }
}
