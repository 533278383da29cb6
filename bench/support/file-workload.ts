import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import type { FieldError } from '../../src/errors.js';
import { normalizeRecord, type NormalizedRow } from '../../src/events/normalize.js';
import { buildBatch, prng, type Workload } from './workload.js';

/**
 * The files bench's data: actions as NDJSON and purchases as CSV, in the bucket layout
 * (`actions/date=…/part-0000.ndjson`, `purchases/date=…/part-0000.csv`). Seeded: the ceiling
 * phase rebuilds exactly the rows the files hold, batch by batch.
 */
export type FileFormat = 'ndjson' | 'csv';

export const FORMAT_FOLDER = { ndjson: 'actions', csv: 'purchases' } as const;

export interface PurchaseRow {
  timestamp: string;
  user_id: string;
  item_id: string;
  count: number;
  price: number;
  platform?: string;
}

const ITEMS = [
  'gem_pack_s',
  'gem_pack_m',
  'gem_pack_l',
  'starter_bundle',
  'season_pass',
  'no_ads',
  'skin_01',
];
const PRICES = [0.99, 1.99, 4.99, 9.99, 19.99, 49.99, 99.99];
const PLATFORMS = ['Steam', 'iOS', 'Android', 'Web'];

/** Purchases batch `index`: `batchSize` purchases of random users, in the last 30 days. */
export function purchaseBatch(workload: Workload, index: number): PurchaseRow[] {
  const random = prng(workload.seed * 7_919 + index);
  const int = (n: number) => Math.floor(random() * n);
  return Array.from({ length: workload.batchSize }, () => {
    const item = int(ITEMS.length);
    const count = 1 + (random() < 0.9 ? 0 : int(4));
    const row: PurchaseRow = {
      timestamp: new Date(workload.baseTime - int(30 * 24 * 3600) * 1000)
        .toISOString()
        .slice(0, 19)
        .replace('T', ' '),
      user_id: `player-${100000 + int(workload.users)}`,
      item_id: ITEMS[item]!,
      count,
      price: Math.round(PRICES[item]! * count * 100) / 100,
    };
    // One in five leaves the optional column empty.
    if (random() < 0.8) row.platform = PLATFORMS[int(PLATFORMS.length)]!;
    return row;
  });
}

export const CSV_HEADER = 'timestamp,user_id,item_id,count,price,platform';
const csvLine = (p: PurchaseRow) =>
  `${p.timestamp},${p.user_id},${p.item_id},${p.count},${p.price},${p.platform ?? ''}`;

/** Batch `index` of a format's records, as objects (what the files hold, line by line). */
export function recordBatch(format: FileFormat, workload: Workload, index: number): object[] {
  return format === 'ndjson' ? buildBatch(workload, index) : purchaseBatch(workload, index);
}

/** Batch `index` as the ingest service hands it to the store. */
export function normalizedBatch(
  format: FileFormat,
  workload: Workload,
  index: number,
  receivedAt: number,
): NormalizedRow[] {
  const def = RECORD_TYPE_DEFS[FORMAT_FOLDER[format]];
  const errors: FieldError[] = [];
  const rows = recordBatch(format, workload, index).map((record, i) =>
    normalizeRecord(def, record as Record<string, unknown>, i, receivedAt, errors),
  );
  if (errors.length > 0) throw new Error(`bench file workload is invalid: ${JSON.stringify(errors[0])}`);
  return rows as NormalizedRow[];
}

/**
 * Writes batches `from` to `to` (exclusive) of a format as one file, streamed with back-pressure
 * (never the whole file in memory); resolves with its size in bytes.
 */
export async function writeBatches(
  file: string,
  format: FileFormat,
  workload: Workload,
  from: number,
  to: number,
): Promise<number> {
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'csv') await write(`${CSV_HEADER}\n`);
  for (let index = from; index < to; index++) {
    const lines =
      format === 'ndjson'
        ? buildBatch(workload, index).map((a) => JSON.stringify(a))
        : purchaseBatch(workload, index).map(csvLine);
    await write(`${lines.join('\n')}\n`);
  }
  out.end();
  await once(out, 'close');
  return bytes;
}

/** The dataset's files: `files` per format, the workload's batches spread over them by date. */
export function datasetKeys(format: FileFormat, workload: Workload, files: number) {
  const perFile = Math.ceil(workload.batches / files);
  return Array.from({ length: files }, (_, f) => {
    const day = String(1 + (f % 28)).padStart(2, '0');
    const ext = format === 'ndjson' ? 'ndjson' : 'csv';
    return {
      key: `${FORMAT_FOLDER[format]}/date=2026-10-${day}/part-${String(f).padStart(4, '0')}.${ext}`,
      from: Math.min(f * perFile, workload.batches),
      to: Math.min((f + 1) * perFile, workload.batches),
    };
  }).filter((k) => k.to > k.from);
}

/** Writes the dataset of one format under `root`; resolves with its keys and total size. */
export async function writeDataset(
  root: string,
  format: FileFormat,
  workload: Workload,
  files: number,
): Promise<{ keys: string[]; bytes: number }> {
  let bytes = 0;
  const keys: string[] = [];
  for (const { key, from, to } of datasetKeys(format, workload, files)) {
    bytes += await writeBatches(join(root, key), format, workload, from, to);
    keys.push(key);
  }
  return { keys, bytes };
}
