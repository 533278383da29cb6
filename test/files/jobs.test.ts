import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { JobWorker, PermanentJobError, type JobHandler } from '../../src/jobs/job-worker.js';
import type { Store } from '../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';

describe.each(BACKENDS)('durable jobs on %s', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let clock = 1_000_000;
  let queue: JobQueue;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    store = database.openStore();
    await store.migrate();
    queue = new JobQueue(store.db, store.capabilities, () => clock);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('retries a failing job with backoff, then fails it for good after its attempts', async () => {
    let runs = 0;
    const failures: string[] = [];
    const handler: JobHandler = {
      run: () => {
        runs++;
        return Promise.reject(new Error(`boom ${runs}`));
      },
      failed: (_job, message) => {
        failures.push(message);
        return Promise.resolve();
      },
    };
    const worker = new JobWorker(queue, new Map([['flaky', handler]]), { baseBackoffMs: 100 });
    const id = await queue.enqueue({ kind: 'flaky', payload: {}, maxAttempts: 2 });
    expect(await worker.runOnce()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 1, run_after: clock + 100 });
    expect(await worker.runOnce()).toBe(0); // not due yet
    clock += 100;
    expect(await worker.runOnce()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ status: 'failed', attempts: 2, last_error: 'boom 2' });
    expect(failures).toEqual(['boom 2']);
  });

  it('fails a job at once on a permanent error, and runs a good one to success', async () => {
    const worker = new JobWorker(
      queue,
      new Map<string, JobHandler>([
        ['bad', { run: () => Promise.reject(new PermanentJobError('malformed')) }],
        ['good', { run: () => Promise.resolve() }],
      ]),
    );
    const bad = await queue.enqueue({ kind: 'bad', payload: {} });
    const good = await queue.enqueue({ kind: 'good', payload: {} });
    expect(await worker.runOnce()).toBe(2);
    expect(await queue.get(bad)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'malformed' });
    expect(await queue.get(good)).toMatchObject({ status: 'succeeded', lease_owner: null });
  });

  it('lets one claimer win, and makes a job with an expired lease claimable again', async () => {
    const id = await queue.enqueue({ kind: 'lease', payload: {} });
    const [a, b] = await Promise.all([queue.claim('a', 1000, ['lease']), queue.claim('b', 1000, ['lease'])]);
    expect([a?.id, b?.id].filter(Boolean)).toEqual([id]);
    expect(await queue.claim('c', 1000, ['lease'])).toBeUndefined();
    clock += 1001;
    const again = await queue.claim('c', 1000, ['lease']);
    expect(again).toMatchObject({ id, lease_owner: 'c', attempts: 2 });
    // The first owner lost its lease: its checkpoint is refused.
    expect(await queue.checkpoint(a ?? b!, a ? 'a' : 'b', { x: 1 }, 1000)).toBe(false);
    expect(await queue.checkpoint(again!, 'c', { x: 1 }, 1000)).toBe(true);
  });
});
