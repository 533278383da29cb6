import type { Environment } from '../domain/records.js';
import type { FieldError } from '../errors.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import type { RejectsRepository } from './rejects.repository.js';

/** Rejects kept per dashboard and environment: enough to debug an integration, never a growing table. */
export const REJECTS_KEPT = 200;
const ERRORS_KEPT = 10;

/** A refusal as the client was told it: status, message and the error body's data. */
export interface Refusal {
  status: number;
  message: string;
  data: unknown;
}

export interface RejectView {
  id: number;
  record_type: string;
  status: number;
  message: string;
  errors: FieldError[];
  created_at: number;
}

/**
 * Refused pushes, for the dashboard's "rejects" list. Fed from the HTTP error path of the JSON
 * pushes (after the refusal is decided), so accepted batches never pay for it.
 */
export class RejectLog {
  constructor(
    private readonly repo: RejectsRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records a refusal of an authenticated push: the service's typed errors and the HTTP layer's
   * own 4xx (body too large, wrong content type), with the message the client got. 5xx are not
   * the sender's and are not rejects.
   */
  async record(principal: Principal, recordType: string, refusal: Refusal): Promise<void> {
    const { status } = refusal;
    if (status < 400 || status >= 500 || status === 401) return;
    const data = refusal.data as { errors?: FieldError[] } | null;
    await this.repo.insert(
      {
        dashboard_id: principal.dashboardId,
        environment: principal.environment,
        record_type: recordType,
        status,
        message: refusal.message.slice(0, 1000),
        errors: JSON.stringify((data?.errors ?? []).slice(0, ERRORS_KEPT)),
        created_at: this.now(),
      },
      REJECTS_KEPT,
    );
  }

  async list(dashboardId: string, environment: Environment, limit = 50): Promise<RejectView[]> {
    const rows = await this.repo.list(dashboardId, environment, limit);
    return rows.map((r) => ({
      id: r.id,
      record_type: r.record_type,
      status: r.status,
      message: r.message,
      errors: JSON.parse(r.errors) as FieldError[],
      created_at: r.created_at,
    }));
  }
}
