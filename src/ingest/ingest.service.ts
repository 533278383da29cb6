import { createHash } from 'node:crypto';
import type { TObject } from '@sinclair/typebox';
import { AppError, type FieldError } from '../errors.js';
import type { RecordTypeDef } from '../domain/records.js';
import type { EventStore } from '../events/event-store.js';
import type { Principal } from '../tenancy/tenancy.service.js';
import type { NormalizedRow } from '../events/normalize.js';
import { checkRecords } from './check-records.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
const MAX_IDEMPOTENCY_KEY = 255;

/** Told about every accepted and rejected batch (metrics, logs); knows nothing of storage. */
export interface IngestObserver {
  ingested(def: RecordTypeDef, environment: string, count: number): void;
  rejected(def: RecordTypeDef, count: number): void;
  /** An accepted batch with its first record (the dashboard's live tail). */
  accepted?(principal: Principal, def: RecordTypeDef, count: number, first: unknown): void;
}

export interface IngestRequest {
  principal: Principal;
  def: RecordTypeDef;
  /** The batch as sent: must be an array of records. */
  records: unknown;
  /** Defaults to the type's schema; the first-version API passes its own. */
  schema?: TObject;
  /** The first-version API names the user `player_id`. */
  userField?: 'user_id' | 'player_id';
  /** The noun in messages, e.g. "actions" or "action(s)". */
  noun?: string;
  idempotencyKey?: string;
  /** Identifies the request for idempotency: the endpoint and its body. */
  fingerprint: string;
}

export interface PartialIngestRequest {
  principal: Principal;
  def: RecordTypeDef;
  records: readonly unknown[];
  /** Channel name and one key per record (null: no key): a key stored before skips its record. */
  dedupeSource?: string;
  dedupeKeys?: readonly (string | null)[];
  /**
   * One key in `dedupeSource` for the whole batch (a chunk of a file), instead of `dedupeKeys`:
   * recorded with the rows; when it was recorded before, the batch stores nothing again.
   */
  dedupeBatchKey?: string;
  /**
   * When the records entered the system, if before now (an upload accepted earlier, a bucket
   * file's last change): records of a player deleted since are withheld. See `WriteBatch.entered`.
   */
  entered?: { at: number; byEventTime?: boolean };
}

export interface PartialIngestResult {
  written: number;
  /** Valid records stored before (their dedupe key was recorded): not stored again. */
  duplicates: number;
  /** Valid records of a player deleted after they entered the system: not stored. */
  withheld: number;
  rejected: FieldError[];
}

export interface IngestResult {
  count: number;
  message: string;
  /** True when this answer is the stored first answer to a repeated Idempotency-Key. */
  replayed: boolean;
}

/**
 * The one ingest service: every channel hands it records; it validates the whole batch,
 * normalizes it and has the store commit it in one transaction (all or nothing).
 */
export class IngestService {
  constructor(
    private readonly events: EventStore,
    private readonly maxBatch: number,
    private readonly observer: IngestObserver,
    private readonly now: () => number = Date.now,
  ) {}

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const { def, principal } = request;
    const noun = request.noun ?? def.noun;
    const records = this.checkBatchShape(request, noun);
    const receivedAt = this.now();
    const requestHash = createHash('sha256').update(request.fingerprint).digest('hex');
    const key = request.idempotencyKey;
    if (key !== undefined) {
      if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) {
        throw new AppError('bad_request', `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
      }
      const earlier = await this.replay(principal, key, requestHash, receivedAt);
      if (earlier) return earlier;
    }

    const rows = this.validate(request, records, noun, receivedAt);
    const result = { count: rows.length, message: `${rows.length} ${noun} have been successfully ingested` };
    const written = await this.events.write({
      dashboardId: principal.dashboardId,
      environment: principal.environment,
      def,
      rows,
      receivedAt,
      ...(key === undefined
        ? {}
        : {
            idempotency: {
              key,
              requestHash,
              response: JSON.stringify(result),
              notBefore: receivedAt - IDEMPOTENCY_WINDOW_MS,
            },
          }),
    });
    if (written.duplicate && key !== undefined) {
      // A concurrent request with the same key committed first: answer as it did.
      const earlier = await this.replay(principal, key, requestHash, receivedAt);
      if (earlier) return earlier;
    }
    this.observer.ingested(def, principal.environment, rows.length);
    // A deletion that raced this batch withheld some records: no sample, it may be theirs.
    this.observer.accepted?.(principal, def, rows.length, written.withheld > 0 ? undefined : records[0]);
    return { ...result, replayed: false };
  }

  private checkBatchShape(request: IngestRequest, noun: string): unknown[] {
    const { records, def } = request;
    const bodyKey = request.userField === 'player_id' && def.type === 'logins' ? 'players' : def.bodyKey;
    if (!Array.isArray(records)) {
      throw new AppError(
        'bad_request',
        `the body must be a JSON object with "${bodyKey}": an array of ${noun}`,
      );
    }
    if (records.length === 0)
      throw new AppError('bad_request', `"${bodyKey}" is empty: send 1 to ${this.maxBatch} ${noun}`);
    if (records.length > this.maxBatch) {
      throw new AppError(
        'payload_too_large',
        `${records.length} ${noun} in one request: the limit is ${this.maxBatch}; split the batch`,
      );
    }
    return records;
  }

  private validate(
    request: IngestRequest,
    sent: unknown[],
    noun: string,
    receivedAt: number,
  ): NormalizedRow[] {
    const { def } = request;
    const { rows, errors } = checkRecords(def, sent, receivedAt, request.schema, request.userField);
    if (errors.length > 0) {
      const invalid = new Set(errors.map((e) => e.index)).size;
      this.observer.rejected(def, sent.length);
      throw new AppError(
        'invalid_records',
        `${invalid} of ${sent.length} ${noun} ${invalid === 1 ? 'is' : 'are'} invalid; nothing was ingested`,
        { errors },
      );
    }
    return rows.map((r) => r.row);
  }

  /**
   * For channels that cannot refuse a whole delivery (webhooks, files): stores the valid
   * records, skips those whose dedupe key was already stored, and returns the invalid ones.
   */
  async ingestValid(request: PartialIngestRequest): Promise<PartialIngestResult> {
    const { def, principal } = request;
    const receivedAt = this.now();
    const { rows, errors } = checkRecords(def, request.records, receivedAt);
    if (errors.length > 0) this.observer.rejected(def, new Set(errors.map((e) => e.index)).size);
    if (rows.length === 0) return { written: 0, duplicates: 0, withheld: 0, rejected: errors };
    const keys = request.dedupeKeys;
    const result = await this.events.write({
      dashboardId: principal.dashboardId,
      environment: principal.environment,
      def,
      rows: rows.map((r) => r.row),
      receivedAt,
      ...(keys && request.dedupeSource
        ? { dedupe: { source: request.dedupeSource, keys: rows.map((r) => keys[r.index] ?? null) } }
        : {}),
      ...(request.dedupeBatchKey !== undefined && request.dedupeSource
        ? { once: { source: request.dedupeSource, key: request.dedupeBatchKey } }
        : {}),
      ...(request.entered ? { entered: request.entered } : {}),
    });
    const { written, withheld } = result;
    this.observer.ingested(def, principal.environment, written);
    // The live tail's sample; none when the batch held a deleted player's records (it may be theirs).
    if (written > 0)
      this.observer.accepted?.(
        principal,
        def,
        written,
        withheld > 0 ? undefined : request.records[rows[0]!.index],
      );
    return { written, duplicates: rows.length - written - withheld, withheld, rejected: errors };
  }

  /** Whether a dedupe channel holds a key starting with `prefix` (how it was keyed before). */
  hasDedupeKey(principal: Principal, source: string, prefix: string): Promise<boolean> {
    return this.events.hasDedupeKey(principal, source, prefix);
  }

  private async replay(
    principal: Principal,
    key: string,
    requestHash: string,
    now: number,
  ): Promise<IngestResult | undefined> {
    const row = await this.events.replayed(principal, key, now - IDEMPOTENCY_WINDOW_MS);
    if (!row) return undefined;
    if (row.requestHash !== requestHash) {
      throw new AppError(
        'idempotency_mismatch',
        'this Idempotency-Key was already used with a different request body; use a new key',
      );
    }
    return { ...(JSON.parse(row.response) as Omit<IngestResult, 'replayed'>), replayed: true };
  }
}
