import { AppError, type FieldError } from '../errors.js';
import { RECORD_TYPE_DEFS, type RecordType } from '../domain/records.js';
import { checkRecords } from '../ingest/check-records.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import { asAction, mapPlayFabEvent, type PlayFabMapped } from './playfab.mapping.js';
import type { PlayFabSettingsRepository } from './playfab-settings.repository.js';

export interface PlayFabResult {
  received: number;
  ingested: number;
  /** Events already stored under their EventId (redeliveries). */
  duplicates: number;
  /** Events that could not be kept even as an action (no EntityId, not an object). */
  rejected: FieldError[];
}

const MAX_LEVEL_STATISTICS = 50;

/**
 * The PlayFab webhook: maps PlayStream events to records and hands them to the ingest
 * service. A known event whose fields do not fit its record type is kept as an action, so a
 * delivery is only refused when it is not JSON events at all: PlayFab would retry a 4xx/5xx.
 */
export class PlayFabService {
  constructor(
    private readonly ingest: IngestService,
    private readonly settings: PlayFabSettingsRepository,
    private readonly maxBatch: number,
    private readonly now: () => number = Date.now,
  ) {}

  async receive(principal: Principal, body: unknown): Promise<PlayFabResult> {
    const events = Array.isArray(body) ? (body as unknown[]) : [body];
    if (events.length === 0)
      throw new AppError('bad_request', 'no events: send a PlayStream event or an array of them');
    if (events.length > this.maxBatch) {
      throw new AppError(
        'payload_too_large',
        `${events.length} events in one request: the limit is ${this.maxBatch}`,
      );
    }
    const levels = new Set(await this.settings.levelStatistics(principal.dashboardId));
    const groups = new Map<RecordType, { mapped: PlayFabMapped; index: number }[]>();
    const rejected: FieldError[] = [];
    events.forEach((event, index) => {
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        rejected.push({ index, field: null, message: 'must be a PlayStream event object' });
        return;
      }
      const mapped = mapPlayFabEvent(event as Record<string, unknown>, levels);
      const fits =
        checkRecords(RECORD_TYPE_DEFS[mapped.type], [mapped.record], this.now()).errors.length === 0;
      const kept = fits
        ? mapped
        : { ...mapped, type: 'actions' as const, record: asAction(event as Record<string, unknown>) };
      groups.set(kept.type, [...(groups.get(kept.type) ?? []), { mapped: kept, index }]);
    });

    let ingested = 0;
    let duplicates = 0;
    for (const [type, group] of groups) {
      const result = await this.ingest.ingestValid({
        principal,
        def: RECORD_TYPE_DEFS[type],
        records: group.map((g) => g.mapped.record),
        dedupeSource: 'playfab',
        dedupeKeys: group.map((g) => g.mapped.eventId),
        // An event entered at its PlayStream timestamp: a retry PlayFab queued before a deletion
        // of the player is withheld, a new event after it is stored.
        entered: { at: this.now(), byEventTime: true },
      });
      ingested += result.written;
      duplicates += result.duplicates;
      for (const e of result.rejected) {
        rejected.push({
          index: group[e.index]!.index,
          field: e.field === 'user_id' ? 'EntityId' : e.field,
          message: e.message,
        });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { received: events.length, ingested, duplicates, rejected };
  }

  levelStatistics(dashboardId: string): Promise<string[]> {
    return this.settings.levelStatistics(dashboardId);
  }

  async setLevelStatistics(dashboardId: string, names: readonly string[]): Promise<string[]> {
    const clean = [...new Set(names.map((n) => n.trim()))];
    if (clean.length > MAX_LEVEL_STATISTICS || clean.some((n) => n.length === 0 || n.length > 128)) {
      throw new AppError(
        'bad_request',
        `level_statistics must be at most ${MAX_LEVEL_STATISTICS} names of 1 to 128 characters`,
      );
    }
    await this.settings.setLevelStatistics(dashboardId, clean, this.now());
    return clean;
  }
}
