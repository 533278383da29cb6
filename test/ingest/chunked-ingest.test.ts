import { describe, expect, it } from 'vitest';
import {
  ingestChunks,
  lineKeys,
  type ChunkPlace,
  type FileRow,
  type FileTally,
} from '../../src/ingest/chunked-ingest.js';
import type { PartialIngestResult } from '../../src/ingest/ingest.service.js';

const emptyTally = (): FileTally => ({ written: 0, duplicates: 0, withheld: 0, rejected: 0, errors: [] });

/** Rows of lines 2.. (line 1 is a header): `counts[i]` records on line i + 2, 0 for a refused line. */
function rowsOf(counts: readonly number[]): FileRow[] {
  return counts.flatMap((count, i): FileRow[] => {
    const line = i + 2;
    if (count === 0) return [{ line, error: { field: null, message: 'refused' } }];
    return Array.from({ length: count }, (_, r) => ({ line, record: { line, r } }));
  });
}

async function* groups(rows: readonly FileRow[], size: number, failAfter?: Error) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
  if (failAfter) throw failAfter;
}

/** Runs the loop, recording what each chunk stored and the progress told after it. */
async function run(options: {
  counts: readonly number[];
  perChunk: number;
  resumeAfterRows?: number;
  failAfter?: Error;
  storePartial?: boolean;
}) {
  const chunks: { place: ChunkPlace; keys: string[] }[] = [];
  const progress: number[] = [];
  const tally = emptyTally();
  const done = ingestChunks({
    rows: groups(rowsOf(options.counts), 3, options.failAfter),
    perChunk: options.perChunk,
    tally,
    ...(options.resumeAfterRows === undefined ? {} : { resumeAfterRows: options.resumeAfterRows }),
    store: (records, lines, place): Promise<PartialIngestResult> => {
      chunks.push({ place, keys: lineKeys(lines) });
      return Promise.resolve({ written: records.length, duplicates: 0, withheld: 0, rejected: [] });
    },
    stored: (rowsRead) => {
      progress.push(rowsRead);
    },
    storePartial: () => options.storePartial ?? false,
  });
  return { done, chunks, progress, tally };
}

describe('ingestChunks, the file channels’ read loop', () => {
  it('cuts a chunk once it is full, before the next line: a line’s records stay together', async () => {
    const r = await run({ counts: [1, 3, 1, 2, 0, 1], perChunk: 2 });
    await r.done;
    expect(r.chunks).toEqual([
      { place: { n: 0, first: 2, last: 3 }, keys: ['line:2', 'line:3:0', 'line:3:1', 'line:3:2'] },
      { place: { n: 1, first: 4, last: 5 }, keys: ['line:4', 'line:5:0', 'line:5:1'] },
      { place: { n: 2, first: 6, last: 7 }, keys: ['line:7'] },
    ]);
    // Lines read when each chunk was cut (the upload's progress).
    expect(r.progress).toEqual([2, 4, 6]);
    expect(r.tally).toMatchObject({ written: 8, rejected: 1, errors: [{ line: 6, message: 'refused' }] });
  });

  it('passes over the lines an earlier attempt stored, counting them in the progress', async () => {
    const r = await run({ counts: [1, 1, 1, 1, 1], perChunk: 2, resumeAfterRows: 3 });
    await r.done;
    expect(r.chunks).toEqual([{ place: { n: 0, first: 5, last: 6 }, keys: ['line:5', 'line:6'] }]);
    expect(r.progress).toEqual([5]);
    expect(r.tally.written).toBe(2);
  });

  it('after a failed read, stores the rows since the last chunk only when told to, then rethrows', async () => {
    const failure = new Error('disk');
    const dropped = await run({ counts: [1, 1, 1], perChunk: 2, failAfter: failure });
    await expect(dropped.done).rejects.toBe(failure);
    expect(dropped.chunks.map((c) => c.keys)).toEqual([['line:2', 'line:3']]);
    const kept = await run({ counts: [1, 1, 1], perChunk: 2, failAfter: failure, storePartial: true });
    await expect(kept.done).rejects.toBe(failure);
    expect(kept.chunks.map((c) => c.keys)).toEqual([['line:2', 'line:3'], ['line:4']]);
    expect(kept.progress).toEqual([2, 3]);
  });

  it('a failed store stops the loop with its error, and no later chunk is stored', async () => {
    const failure = new Error('database');
    let calls = 0;
    const done = ingestChunks({
      rows: groups(rowsOf([1, 1, 1, 1, 1, 1]), 1),
      perChunk: 1,
      tally: emptyTally(),
      store: () =>
        ++calls === 2
          ? Promise.reject(failure)
          : Promise.resolve({ written: 1, duplicates: 0, withheld: 0, rejected: [] }),
      storePartial: () => true,
    });
    await expect(done).rejects.toBe(failure);
    // One write in flight: the loop learns of the failure when it hands over the next chunk.
    expect(calls).toBe(2);
  });
});
