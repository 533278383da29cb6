import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelay } from '../../packages/client/src/backoff.js';
import { TraitforgeHttpError } from '../../packages/client/src/errors.js';
import { FileQueueStore } from '../../packages/client/src/file-store.js';
import { QueueState, type QueueOp } from '../../packages/client/src/queue.js';

const push = (n: number): QueueOp => ({ op: 'push', type: 'actions', record: { action_id: String(n) } });

function replay(ops: readonly QueueOp[]): QueueState {
  const state = new QueueState();
  for (const op of ops) state.apply(op);
  return state;
}

describe('the client queue log', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps each batch’s records and key through acks, drops and a snapshot', () => {
    const ops: QueueOp[] = [
      push(1),
      push(2),
      push(3),
      { op: 'batch', id: 'k1', type: 'actions', count: 2 },
      push(4),
      { op: 'batch', id: 'k2', type: 'actions', count: 2 },
      push(5),
      { op: 'ack', id: 'k1' },
      { op: 'drop', id: 'k2', indices: [0], next: 'k3' },
    ];
    const state = replay(ops);
    expect([...state.batches.values()]).toEqual([
      { id: 'k3', type: 'actions', records: [{ action_id: '4' }] },
    ]);
    expect(state.pending.get('actions')).toEqual([{ action_id: '5' }]);
    const again = replay(state.snapshot());
    expect([...again.batches.values()]).toEqual([...state.batches.values()]);
    expect(again.pending).toEqual(state.pending);
    expect(again.size).toBe(2);
  });

  it('a file store reads back what it appended, skips a line a crash cut short, and compacts atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'traitforge-queue-'));
    dirs.push(dir);
    const store = new FileQueueStore(dir);
    expect(await store.load()).toEqual([]);
    await store.append([push(1), push(2), { op: 'batch', id: 'k', type: 'actions', count: 2 }]);
    await store.close();
    appendFileSync(join(dir, 'queue.ndjson'), '{"op":"push","type":"act');
    const reopened = new FileQueueStore(dir);
    const ops = await reopened.load();
    expect(ops).toHaveLength(3);
    await reopened.replace(replay(ops).snapshot());
    await reopened.append([{ op: 'ack', id: 'k' }]);
    await reopened.close();
    expect(readFileSync(join(dir, 'queue.ndjson'), 'utf8').trim().split('\n')).toHaveLength(4);
    expect(replay(await new FileQueueStore(dir).load()).size).toBe(0);
  });
});

describe('client retry timing', () => {
  it('grows the jittered ceiling exponentially up to the maximum', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelay(0, new Error('x'), options, () => 0.999)).toBe(99);
    expect(retryDelay(3, new Error('x'), options, () => 0.999)).toBe(799);
    expect(retryDelay(20, new Error('x'), options, () => 0.999)).toBe(999);
    expect(retryDelay(20, new Error('x'), options, () => 0)).toBe(0);
  });

  it('waits at least what Retry-After asks, in seconds or as a date', () => {
    const asked = new TraitforgeHttpError(429, null, parseRetryAfter('7'));
    expect(retryDelay(0, asked, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5)).toBe(7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
