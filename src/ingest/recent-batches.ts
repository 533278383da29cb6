import type { Environment } from '../domain/records.js';
import { mentionsPlayer } from '../privacy/player-data-tables.js';

export interface RecentBatch {
  /** Increases by one per batch in this process: the live tail asks for what came after it. */
  seq: number;
  dashboardId: string;
  environment: Environment;
  type: string;
  count: number;
  at: number;
  /** The batch's first record as sent, cut to a short JSON preview. */
  sample: string;
}

const SAMPLE_CHARS = 300;
/** What a batch's sample reads once its player's data was deleted. */
export const REDACTED_SAMPLE = '(removed: this player’s data was deleted)';

/**
 * The last accepted batches, in memory, per process: the dashboard's live tail reads it so no
 * page scans raw events and the write path adds no I/O (an array slot per batch). With several
 * server processes each shows the batches it received itself; the per-day chart (from the
 * `daily_counts` rollup) is the complete figure.
 */
export class RecentBatches {
  private readonly ring: (RecentBatch | undefined)[];
  private next = 0;
  private seq = 0;

  constructor(
    readonly capacity = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new Array<RecentBatch | undefined>(capacity);
  }

  push(dashboardId: string, environment: Environment, type: string, count: number, first: unknown): void {
    let sample: string;
    try {
      sample = JSON.stringify(first) ?? '';
    } catch {
      sample = '';
    }
    if (sample.length > SAMPLE_CHARS) sample = `${sample.slice(0, SAMPLE_CHARS - 1)}…`;
    this.ring[this.next] = {
      seq: ++this.seq,
      dashboardId,
      environment,
      type,
      count,
      at: this.now(),
      sample,
    };
    this.next = (this.next + 1) % this.capacity;
  }

  /**
   * A player's data was deleted: the samples that quote them are replaced (the batch's count
   * stays: other players' records may share it). Only this process's tail: see docs/api.md.
   */
  forget(dashboardId: string, environment: Environment, userId: string): number {
    let redacted = 0;
    for (const entry of this.ring) {
      if (entry?.dashboardId !== dashboardId || entry.environment !== environment) continue;
      if (!mentionsPlayer(entry.sample, userId)) continue;
      entry.sample = REDACTED_SAMPLE;
      redacted++;
    }
    return redacted;
  }

  /** The dashboard's batches after `afterSeq`, newest first, at most `limit`. */
  list(dashboardId: string, environment: Environment, afterSeq = 0, limit = 50): RecentBatch[] {
    const out: RecentBatch[] = [];
    for (let i = 1; i <= this.capacity && out.length < limit; i++) {
      const entry = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (!entry || entry.seq <= afterSeq) break;
      if (entry.dashboardId === dashboardId && entry.environment === environment) out.push(entry);
    }
    return out;
  }
}
