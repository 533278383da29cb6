/**
 * The client's queue as an append-only log of operations. Replaying the log rebuilds the state,
 * so a store only has to append lines and, now and then, replace the log by a shorter one.
 *
 * A batch is formed from the oldest pending records of one type and gets its Idempotency-Key at
 * that moment; the `batch` operation is written before the batch is sent, so a client that
 * restarts after a crash resends the same records under the same key and the server stores them
 * once.
 */
import type { RecordType } from './generated/records.js';

export type QueuedRecord = Record<string, unknown>;

export type QueueOp =
  | { op: 'push'; type: RecordType; record: QueuedRecord }
  | { op: 'batch'; id: string; type: RecordType; count: number }
  | { op: 'ack'; id: string }
  /** The server refused these records (by index): the rest is resent under a new key. */
  | { op: 'drop'; id: string; indices: number[]; next: string }
  /** The server found the batch too large (413): its halves are sent under new keys. */
  | { op: 'split'; id: string; next: [string, string] };

export interface Batch {
  id: string;
  type: RecordType;
  records: QueuedRecord[];
}

/** Where the log lives: a file in Node, IndexedDB in browsers, memory when neither is asked for. */
export interface QueueStore {
  load(): Promise<QueueOp[]>;
  append(ops: readonly QueueOp[]): Promise<void>;
  /** Replaces the whole log by `ops` atomically (a crash leaves the old log or the new one). */
  replace(ops: readonly QueueOp[]): Promise<void>;
  close(): Promise<void>;
}

export class QueueState {
  /** Records not yet in a batch, per type, oldest first. */
  readonly pending = new Map<RecordType, QueuedRecord[]>();
  /** Batches formed and not yet acknowledged, in the order they were formed. */
  readonly batches = new Map<string, Batch>();

  get size(): number {
    let n = 0;
    for (const records of this.pending.values()) n += records.length;
    for (const batch of this.batches.values()) n += batch.records.length;
    return n;
  }

  apply(op: QueueOp): void {
    switch (op.op) {
      case 'push': {
        const list = this.pending.get(op.type);
        if (list) list.push(op.record);
        else this.pending.set(op.type, [op.record]);
        return;
      }
      case 'batch': {
        const list = this.pending.get(op.type) ?? [];
        this.batches.set(op.id, { id: op.id, type: op.type, records: list.splice(0, op.count) });
        return;
      }
      case 'ack':
        this.batches.delete(op.id);
        return;
      case 'drop': {
        const batch = this.batches.get(op.id);
        if (!batch) return;
        this.batches.delete(op.id);
        const refused = new Set(op.indices);
        const kept = batch.records.filter((_, i) => !refused.has(i));
        if (kept.length > 0) this.batches.set(op.next, { id: op.next, type: batch.type, records: kept });
        return;
      }
      case 'split': {
        const batch = this.batches.get(op.id);
        if (!batch) return;
        this.batches.delete(op.id);
        const half = Math.ceil(batch.records.length / 2);
        const [first, second] = op.next;
        this.batches.set(first, { id: first, type: batch.type, records: batch.records.slice(0, half) });
        if (batch.records.length > half)
          this.batches.set(second, { id: second, type: batch.type, records: batch.records.slice(half) });
        return;
      }
    }
  }

  /** The shortest log that rebuilds this state: what compaction writes. */
  snapshot(): QueueOp[] {
    const ops: QueueOp[] = [];
    for (const batch of this.batches.values()) {
      for (const record of batch.records) ops.push({ op: 'push', type: batch.type, record });
      ops.push({ op: 'batch', id: batch.id, type: batch.type, count: batch.records.length });
    }
    for (const [type, records] of this.pending) {
      for (const record of records) ops.push({ op: 'push', type, record });
    }
    return ops;
  }
}

/** An in-memory store: the queue lasts as long as the process (no `queueDir`, no IndexedDB). */
export class MemoryQueueStore implements QueueStore {
  private ops: QueueOp[] = [];
  load(): Promise<QueueOp[]> {
    return Promise.resolve([...this.ops]);
  }
  append(ops: readonly QueueOp[]): Promise<void> {
    this.ops.push(...ops);
    return Promise.resolve();
  }
  replace(ops: readonly QueueOp[]): Promise<void> {
    this.ops = [...ops];
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
