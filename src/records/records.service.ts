import {
  ALL_RECORD_TYPE_DEFS,
  ALL_RECORD_TYPES,
  ENVIRONMENTS,
  type AnyRecordType,
  type Environment,
} from '../domain/records.js';
import { formatTimestamp, utcDay } from '../domain/timestamp.js';
import type { EventStore, StoredRecord } from '../events/event-store.js';

export const MAX_LIST_LIMIT = 1000;
const STATS_DAYS = 30;

export interface DashboardStats {
  dashboard_id: string;
  /** Stored records per environment and type (items count distinct item ids). */
  records: Record<Environment, Record<AnyRecordType, number>>;
  /** Records received per UTC day over the last 30 days, newest first. */
  daily: { day: string; environment: Environment; type: string; count: number }[];
}

/** What a dashboard stored, in the documents' JSON shapes (times as "YYYY-MM-DD HH:MM:SS" UTC). */
export class RecordsService {
  constructor(
    private readonly events: EventStore,
    private readonly now: () => number = Date.now,
  ) {}

  async list(
    dashboardId: string,
    type: AnyRecordType,
    environment: Environment,
    userId: string | undefined,
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    const def = ALL_RECORD_TYPE_DEFS[type];
    const { records } = await this.events.listRecords({ dashboardId, environment }, def, { userId, limit });
    return records.map((row) => toDocumentShape(type, row));
  }

  /**
   * Records received per UTC day and type over the last `days` days (every day present, zeros
   * included), and all-time totals per type: read from the `daily_counts` rollup only.
   */
  async daily(
    dashboardId: string,
    environment: Environment,
    days: number,
  ): Promise<{ days: string[]; series: Record<string, number[]>; totals: Record<string, number> }> {
    const dayList = Array.from({ length: days }, (_, i) => utcDay(this.now() - (days - 1 - i) * 86_400_000));
    const index = new Map(dayList.map((d, i) => [d, i]));
    const series: Record<string, number[]> = {};
    for (const row of await this.events.dailyCounts(dashboardId, { environment, sinceDay: dayList[0]! })) {
      const at = index.get(row.day);
      if (at === undefined) continue;
      (series[row.type] ??= new Array<number>(days).fill(0))[at] = row.count;
    }
    const totals = Object.fromEntries(
      (await this.events.totals({ dashboardId, environment })).map((t) => [t.type, t.count]),
    );
    return { days: dayList, series, totals };
  }

  async stats(dashboardId: string): Promise<DashboardStats> {
    const empty = () =>
      Object.fromEntries(ALL_RECORD_TYPES.map((t) => [t, 0])) as Record<AnyRecordType, number>;
    const records = Object.fromEntries(ENVIRONMENTS.map((e) => [e, empty()])) as DashboardStats['records'];
    for (const { type, environment, count } of await this.events.storedCounts(dashboardId)) {
      records[environment][type as AnyRecordType] = count;
    }
    const since = utcDay(this.now() - (STATS_DAYS - 1) * 86_400_000);
    const daily = await this.events.dailyCounts(dashboardId, { sinceDay: since });
    return { dashboard_id: dashboardId, records, daily };
  }
}

function toDocumentShape(type: AnyRecordType, row: StoredRecord): Record<string, unknown> {
  const def = ALL_RECORD_TYPE_DEFS[type];
  const out: Record<string, unknown> = {};
  if (def.userScoped) {
    out.timestamp = formatTimestamp(row.ts);
    out.user_id = row.user_id;
  }
  for (const { name, kind } of def.columns) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    if (kind === 'json') out[name] = JSON.parse(value as string);
    else if (kind === 'timestamp') out[name] = formatTimestamp(Number(value));
    else if (kind === 'int' || kind === 'float') out[name] = Number(value);
    else out[name] = value;
  }
  return row.extra === null ? out : { ...out, ...(JSON.parse(row.extra) as Record<string, unknown>) };
}
