import type { Environment } from '../domain/records.js';
import { AppError, type FieldError } from '../errors.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import type { RejectsRepository } from './rejects.repository.js';

/** Rejects kept per dashboard and environment: enough to debug an integration, never a growing table. */
export const REJECTS_KEPT = 200;
const ERRORS_KEPT = 10;

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

  /** Records a refusal of an authenticated push; errors that are not the sender's (5xx) are not rejects. */
  async record(principal: Principal, recordType: string, error: unknown): Promise<void> {
    if (!(error instanceof AppError) || error.status >= 500 || error.status === 401) return;
    const data = error.data as { errors?: FieldError[] } | null;
    await this.repo.insert(
      {
        dashboard_id: principal.dashboardId,
        environment: principal.environment,
        record_type: recordType,
        status: error.status,
        message: error.message.slice(0, 1000),
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
