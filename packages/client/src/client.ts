/**
 * TraitforgeClient: `push()` queues a record and returns at once; batches of up to 1,000 records
 * per type are sent in the background, gzipped, each under an Idempotency-Key fixed when the batch
 * is formed and kept on disk with it, so retries and restarts never store a record twice.
 */
import { TraitforgeApi, type ApiOptions } from './api.js';
import { isRetryable, retryDelay, type BackoffOptions } from './backoff.js';
import { TraitforgeHttpError, type DeliveryError } from './errors.js';
import { RECORD_ENDPOINTS, type RecordType, type RecordTypes } from './generated/records.js';
import { globalIndexedDb, IndexedDbQueueStore } from './indexeddb-store.js';
import { MemoryQueueStore, QueueState, type Batch, type QueueOp, type QueueStore } from './queue.js';

export interface ClientOptions extends ApiOptions {
  /** Node: the directory of the persistent queue. A client started on it sends what an earlier one left. */
  queueDir?: string;
  /** Browsers: the IndexedDB database of the queue (default `traitforge-queue`); used when no `queueDir`. */
  indexedDbName?: string;
  /** A queue store of your own (takes precedence over `queueDir` and IndexedDB). */
  queueStore?: QueueStore;
  /** Records per request, 1 to 1000 (default 1000; keep it ≤ the server's TRAITFORGE_MAX_BATCH). */
  batchSize?: number;
  /** How often queued records are sent even when no batch is full (ms, default 5000). */
  flushIntervalMs?: number;
  /** Records the queue holds at most; a push beyond it is refused and reported (default 100,000). */
  maxQueueSize?: number;
  /** Gzip request bodies (default true). */
  gzip?: boolean;
  /** Retry timing (defaults: 500 ms first ceiling, 30 s at most). */
  backoff?: Partial<BackoffOptions>;
  /** Records given up on (refused by the server) and pushes refused by a full queue. */
  onError?: (error: DeliveryError) => void;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 500, maxDelayMs: 30_000 };
/** Log lines past this many (beyond the live state) trigger a compaction of the queue log. */
const COMPACT_AFTER_OPS = 20_000;

async function defaultStore(options: ClientOptions): Promise<QueueStore> {
  if (options.queueStore) return options.queueStore;
  if (options.queueDir !== undefined) {
    // Loaded only here so that a browser bundle never pulls in node:fs.
    const { FileQueueStore } = await import('./file-store.js');
    return new FileQueueStore(options.queueDir);
  }
  const idb = globalIndexedDb();
  if (idb) return new IndexedDbQueueStore(idb, options.indexedDbName ?? 'traitforge-queue');
  return new MemoryQueueStore();
}

/**
 * A batch's Idempotency-Key: 128 random bits. Browsers offer randomUUID() only in secure contexts
 * (HTTPS, localhost); getRandomValues() works everywhere.
 */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The 0-based indexes a 12traits 400 names (`data.errors[].index`), or undefined when it names none. */
function refusedIndexes(error: TraitforgeHttpError, size: number): number[] | undefined {
  if (error.status !== 400) return undefined;
  const errors = (error.body as { data?: { errors?: { index?: unknown }[] } } | null)?.data?.errors;
  if (!Array.isArray(errors)) return undefined;
  const indexes = [...new Set(errors.map((e) => e.index))].filter(
    (i): i is number => Number.isInteger(i) && (i as number) >= 0 && (i as number) < size,
  );
  return indexes.length > 0 ? indexes : undefined;
}

interface Waiter {
  ids: Set<string>;
  resolve: () => void;
}

export class TraitforgeClient extends TraitforgeApi {
  private readonly state = new QueueState();
  private readonly batchSize: number;
  private readonly maxQueueSize: number;
  private readonly gzipBodies: boolean;
  private readonly backoff: BackoffOptions;
  private readonly onError: (error: DeliveryError) => void;
  private readonly storeReady: Promise<QueueStore>;
  private readonly ready: Promise<void>;
  private loaded = false;
  /** Pushes made before the stored queue was read: applied after it, in order. */
  private early: QueueOp[] = [];
  private unwritten: QueueOp[] = [];
  private writeWaiters: (() => void)[] = [];
  private writeScheduled = false;
  private writes: Promise<void> = Promise.resolve();
  private logLength = 0;
  private pumping = false;
  private stopped = false;
  /** The retry wait in progress, if any: flush() keeps the process alive for it, shutdown() ends it. */
  private sleeping: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  private waiters: Waiter[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(options: ClientOptions) {
    super(options);
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000)
      throw new RangeError('batchSize must be an integer from 1 to 1000');
    this.batchSize = batchSize;
    this.maxQueueSize = options.maxQueueSize ?? 100_000;
    this.gzipBodies = options.gzip ?? true;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.onError =
      options.onError ??
      ((error) => {
        console.warn(`traitforge client: ${error.message}`);
      });
    this.storeReady = defaultStore(options);
    this.ready = this.open();
    // A failed open is reported through flush()/shutdown(), not as an unhandled rejection.
    this.ready.catch(() => undefined);
    this.timer = setInterval(() => {
      this.formBatches(true);
    }, options.flushIntervalMs ?? 5000);
    // The timer alone must not keep a Node process alive; flush()/shutdown() are what wait.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Records queued and not yet acknowledged by the server. */
  get queued(): number {
    return this.state.size + this.early.length;
  }

  /**
   * Queues one record and returns at once: true when queued, false when the queue is full
   * (reported to `onError`). The record is copied: changing it afterwards changes nothing sent.
   */
  push<T extends RecordType>(type: T, record: RecordTypes[T]): boolean {
    if (!Object.hasOwn(RECORD_ENDPOINTS, type)) throw new TypeError(`unknown record type: ${type as string}`);
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new TypeError('a record must be an object');
    if (this.stopped) throw new Error('the client is shut down');
    if (this.queued >= this.maxQueueSize) {
      this.onError({
        kind: 'queue_full',
        type,
        message: `the queue holds ${this.maxQueueSize} records: push refused`,
      });
      return false;
    }
    const op: QueueOp = {
      op: 'push',
      type,
      record: JSON.parse(JSON.stringify(record)) as Record<string, unknown>,
    };
    if (!this.loaded) {
      this.early.push(op);
      return true;
    }
    void this.commit(op);
    this.formBatches(false);
    return true;
  }

  /** Resolves when everything pushed before the call is acknowledged (or given up on and reported). */
  async flush(): Promise<void> {
    await this.ready;
    this.formBatches(true);
    const ids = new Set(this.state.batches.keys());
    if (ids.size === 0) return;
    await new Promise<void>((resolve) => {
      this.waiters.push({ ids, resolve });
      // A retry waiting on an unref'd timer must now keep a Node process alive until it is done.
      (this.sleeping?.timer as { ref?: () => void } | undefined)?.ref?.();
      this.pump();
    });
  }

  /**
   * Flushes for at most `timeoutMs` (default 10 s), then stops; what is still queued stays in the
   * persistent queue for the next client. Resolves with the number of records left queued.
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<number> {
    clearInterval(this.timer);
    let timeout: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.flush(),
        new Promise((resolve) => (timeout = setTimeout(resolve, options.timeoutMs ?? 10_000))),
      ]);
    } finally {
      clearTimeout(timeout);
      this.stopped = true;
      this.sleeping?.resolve();
    }
    await this.writes;
    await (await this.storeReady).close();
    return this.queued;
  }

  private async open(): Promise<void> {
    const store = await this.storeReady;
    const ops = await store.load();
    for (const op of ops) this.state.apply(op);
    // Rewriting the log at start drops what is no longer needed and any line a crash cut short.
    if (ops.length > 0) await store.replace(this.state.snapshot());
    this.logLength = this.state.size;
    this.loaded = true;
    for (const op of this.early) void this.commit(op);
    this.early = [];
    this.formBatches(this.state.batches.size > 0);
    this.pump();
  }

  /** Applies an operation to the queue and writes it to the store; resolves once it is written. */
  private commit(op: QueueOp): Promise<void> {
    this.state.apply(op);
    this.unwritten.push(op);
    const written = new Promise<void>((resolve) => this.writeWaiters.push(resolve));
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      this.writes = this.writes.then(() => this.writeOut());
    }
    return written;
  }

  private async writeOut(): Promise<void> {
    this.writeScheduled = false;
    const ops = this.unwritten;
    const waiters = this.writeWaiters;
    this.unwritten = [];
    this.writeWaiters = [];
    try {
      const store = await this.storeReady;
      const size = this.state.size;
      // Compact when the log is mostly history, and whenever everything is delivered (cheap then).
      if (this.logLength + ops.length > COMPACT_AFTER_OPS + 2 * size || (size === 0 && this.logLength > 0)) {
        // Every op in `ops` is already applied to the state, so the snapshot includes them.
        const snapshot = this.state.snapshot();
        await store.replace(snapshot);
        this.logLength = snapshot.length;
      } else {
        await store.append(ops);
        this.logLength += ops.length;
      }
    } catch (error) {
      this.onError({ kind: 'store', message: `the queue could not be written: ${String(error)}` });
    }
    for (const resolve of waiters) resolve();
  }

  /** Forms batches from pending records: full ones only, or every pending record when `all`. */
  private formBatches(all: boolean): void {
    if (!this.loaded || this.stopped) return;
    for (const [type, records] of this.state.pending) {
      while (records.length >= this.batchSize || (all && records.length > 0)) {
        void this.commit({
          op: 'batch',
          id: newKey(),
          type,
          count: Math.min(this.batchSize, records.length),
        });
      }
    }
    if (this.state.batches.size > 0) this.pump();
  }

  /** Sends batches one at a time, oldest first, until none is left or the client stops. */
  private pump(): void {
    if (this.pumping || !this.loaded || this.stopped) return;
    this.pumping = true;
    void (async () => {
      try {
        for (;;) {
          const batch = this.state.batches.values().next().value;
          if (batch === undefined || this.stopped) break;
          // Its key must be on disk before the server can have stored anything under it.
          await this.writes;
          await this.deliver(batch);
        }
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async deliver(batch: Batch): Promise<void> {
    const endpoint = RECORD_ENDPOINTS[batch.type];
    const text = JSON.stringify({ [endpoint.bodyKey]: batch.records });
    const body = this.gzipBodies ? await gzip(text) : text;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': batch.id,
    };
    if (this.gzipBodies) headers['content-encoding'] = 'gzip';
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.request({ method: 'POST', path: endpoint.path, headers, body });
        await this.settle({ op: 'ack', id: batch.id });
        return;
      } catch (error) {
        if (error instanceof TraitforgeHttpError && error.status === 413 && batch.records.length > 1) {
          // Nothing was stored (the body was not read): its halves go under new keys, each
          // halved again while too large, until a single record too large is refused.
          await this.replaceBatch(batch.id, (next) => ({
            op: 'split',
            id: batch.id,
            next: [next(), next()],
          }));
          return;
        }
        if (!isRetryable(error)) {
          await this.refuse(batch, error as TraitforgeHttpError);
          return;
        }
        await this.sleep(retryDelay(attempt, error, this.backoff));
      }
    }
  }

  /**
   * A 4xx other than 408/429: the server would refuse the same request again. A 400 naming its
   * invalid records drops only those (nothing was stored: batches are all-or-nothing) and sends
   * the rest under a new key; any other refusal drops the batch. Both are reported to onError.
   */
  private async refuse(batch: Batch, error: TraitforgeHttpError): Promise<void> {
    const indexes = refusedIndexes(error, batch.records.length) ?? batch.records.map((_, i) => i);
    this.onError({
      kind: 'dropped',
      type: batch.type,
      status: error.status,
      body: error.body,
      records: indexes.map((i) => batch.records[i]!),
      message: `${indexes.length} ${batch.type} dropped: ${error.message}`,
    });
    await this.replaceBatch(batch.id, (next) => ({
      op: 'drop',
      id: batch.id,
      indices: indexes,
      next: next(),
    }));
  }

  /** Settles an operation that sends what is left of batch `id` under new keys, which flush() waiters follow. */
  private async replaceBatch(id: string, op: (next: () => string) => QueueOp): Promise<void> {
    const keys: string[] = [];
    const made = op(() => {
      const key = newKey();
      keys.push(key);
      return key;
    });
    for (const waiter of this.waiters) if (waiter.ids.has(id)) for (const key of keys) waiter.ids.add(key);
    await this.settle(made);
  }

  private async settle(op: QueueOp): Promise<void> {
    await this.commit(op);
    this.waiters = this.waiters.filter((waiter) => {
      for (const id of waiter.ids) if (this.state.batches.has(id)) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Waits before a retry; shutdown() cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // Keeps a Node process alive only while someone awaits flush()/shutdown().
      if (this.waiters.length === 0) (timer as { unref?: () => void }).unref?.();
      this.sleeping = { timer, resolve: done };
    });
  }
}
