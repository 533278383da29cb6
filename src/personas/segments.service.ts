import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { randomId } from '../tenancy/secrets.js';
import type { TenancyService } from '../tenancy/tenancy.service.js';
import { checkFilter, type SegmentFilter } from './segment-filter.js';

export interface Segment {
  id: string;
  name: string;
  filter: SegmentFilter;
}

/** The built-in segment of every player; it exists in every dashboard and cannot be deleted. */
export const DEFAULT_SEGMENT: Segment = { id: 'default', name: 'default', filter: {} };

/** Custom segments of a dashboard: a name and a filter over the players' profiles and spend. */
export class SegmentService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenancy: TenancyService,
    /** Called after a segment is created, to compute its personas soon (set by PersonaService). */
    private readonly onCreated: (dashboardId: string) => void = () => undefined,
  ) {}

  async create(dashboardId: string, name: string, filter: SegmentFilter): Promise<Segment> {
    await this.tenancy.getDashboard(dashboardId);
    const trimmed = name.trim();
    if (trimmed === '') throw new AppError('bad_request', 'body name must not be blank');
    checkFilter(filter);
    const segment = { id: randomId('seg'), name: trimmed, filter };
    await this.db
      .insertInto('segments')
      .values({
        id: segment.id,
        dashboard_id: dashboardId,
        name: trimmed,
        filter: JSON.stringify(filter),
        created_at: Date.now(),
      })
      .execute();
    this.onCreated(dashboardId);
    return segment;
  }

  /** The default segment first, then the custom ones in creation order. */
  async list(dashboardId: string): Promise<Segment[]> {
    await this.tenancy.getDashboard(dashboardId);
    return this.all(dashboardId);
  }

  async all(dashboardId: string): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('segments')
      .select(['id', 'name', 'filter'])
      .where('dashboard_id', '=', dashboardId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return [
      DEFAULT_SEGMENT,
      ...rows.map((r) => ({ id: r.id, name: r.name, filter: JSON.parse(r.filter) as SegmentFilter })),
    ];
  }

  /** The segment, or 404 when this dashboard has none by that id (another dashboard's included). */
  async get(dashboardId: string, segmentId: string): Promise<Segment> {
    if (segmentId === DEFAULT_SEGMENT.id) return DEFAULT_SEGMENT;
    const row = await this.db
      .selectFrom('segments')
      .select(['id', 'name', 'filter'])
      .where('dashboard_id', '=', dashboardId)
      .where('id', '=', segmentId)
      .executeTakeFirst();
    if (!row)
      throw new AppError(
        'not_found',
        `segment ${segmentId} does not exist: use default or an id from the segments list`,
      );
    return { id: row.id, name: row.name, filter: JSON.parse(row.filter) as SegmentFilter };
  }

  /** Deletes the segment with its personas and memberships, in every environment. */
  async delete(dashboardId: string, segmentId: string): Promise<void> {
    await this.tenancy.getDashboard(dashboardId);
    if (segmentId === DEFAULT_SEGMENT.id)
      throw new AppError('bad_request', 'the default segment cannot be deleted');
    await this.get(dashboardId, segmentId);
    await this.db.transaction().execute(async (trx) => {
      for (const table of ['persona_members', 'personas', 'persona_runs'] as const) {
        await trx
          .deleteFrom(table)
          .where('dashboard_id', '=', dashboardId)
          .where('segment_id', '=', segmentId)
          .execute();
      }
      await trx
        .deleteFrom('segments')
        .where('dashboard_id', '=', dashboardId)
        .where('id', '=', segmentId)
        .execute();
    });
  }
}
