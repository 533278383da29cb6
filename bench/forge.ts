/**
 * The Forge part of `npm run bench`: records/s of the Forge partner API with the game's quests
 * active (every fifth request `POST /player/achievement`, the others `POST /player/playtime`), in
 * batches of 100 and of 1000, against the ceiling of ForgeIngestService called directly. Per
 * backend, one template database is filled first (Forge key, quests, webhook, registered
 * players); every phase then starts from a fresh copy of it.
 */
import type { Backend } from '../src/store/store.js';
import type { ForgePhaseMessage, ForgePhaseSpec } from './forge-phase.js';
import { createBenchDatabase, dropBenchDatabase, withBenchDatabase } from './support/database.js';
import { forgeBatches, type ForgeBatch, type ForgeWorkload } from './support/forge-workload.js';
import {
  drivePhase,
  expectAnswer,
  httpDriver,
  reportDriver,
  startPhase,
  type PhaseRequest,
} from './support/process.js';
import { comparisonJson, comparisonRows, compare, textTable, type Comparison } from './support/report.js';

export interface ForgeOptions {
  records: number;
  warmupRecords: number;
  players: number;
  concurrency: number;
  batchSizes: readonly number[];
}

/** `batch_100`, `batch_1000` → figures. */
export type ForgeBackendFigures = Record<string, Comparison>;

const start = (spec: ForgePhaseSpec) =>
  startPhase<ForgePhaseMessage>('forge-phase.js', `forge ${spec.phase}`, spec, ['done', 'setup-done']);

const setup = (spec: ForgePhaseSpec) =>
  drivePhase(start(spec), (phase) => expectAnswer(phase, 'setup-done', 'forge setup'));

/** One run on one backend: setup once, then per batch size an HTTP phase and a ceiling phase. */
export async function runForgeBackend(
  backend: Backend,
  options: ForgeOptions,
  workload: ForgeWorkload,
  adminUrl: string | undefined,
  log: (text: string) => void,
): Promise<ForgeBackendFigures> {
  const template = await createBenchDatabase(backend, adminUrl);
  const results: ForgeBackendFigures = {};
  try {
    const base = { workload, concurrency: options.concurrency };
    const { apiKey, ms } = await setup({ phase: 'setup', database: template, batchSize: 0, ...base });
    log(
      `forge ${backend}: ${workload.players.toLocaleString('en-US')} players and quests set up in ${(ms / 1000).toFixed(1)} s`,
    );
    for (const batchSize of options.batchSizes) {
      const { timed, warmup } = forgeBatches(workload, batchSize);
      // Serialized before any timing.
      const body = (batch: ForgeBatch): PhaseRequest => ({
        path: batch.path,
        body: Buffer.from(JSON.stringify(batch.records)),
      });
      const spec = { ...base, batchSize, apiKey };
      const load = {
        headers: () => ({ 'x-api-key': apiKey }),
        concurrency: options.concurrency,
        status: 200,
        timed: timed.map(body),
        warmup: warmup.map(body),
      };
      const http = await withBenchDatabase(
        backend,
        adminUrl,
        (database) => httpDriver(start({ phase: 'http', database, ...spec }), load, 'forge http'),
        template,
      );
      const ceiling = await withBenchDatabase(
        backend,
        adminUrl,
        (database) => reportDriver(start({ phase: 'ceiling', database, ...spec }), 'forge ceiling'),
        template,
      );
      const figures = compare(workload.records, http, ceiling);
      log(`forge ${backend} batch_${batchSize}: ${JSON.stringify(figures)}`);
      results[`batch_${batchSize}`] = figures;
    }
  } finally {
    await dropBenchDatabase(template, adminUrl);
  }
  return results;
}

export function forgeTable(
  results: Partial<Record<Backend, ForgeBackendFigures>>,
  backends: readonly Backend[],
  options: ForgeOptions,
  runs: number,
): string {
  const columns = backends.flatMap((b) =>
    options.batchSizes
      .filter(() => results[b])
      .map((size) => ({ head: `${b} ×${size}`, figures: results[b]![`batch_${size}`]! })),
  );
  const medians = runs > 1 ? `, medians of ${runs} runs` : '';
  return textTable(
    `Forge records (4 of 5 requests /player/playtime, 1 of 5 /player/achievement), quests active: ${options.records.toLocaleString('en-US')} records per phase in batches of ${options.batchSizes.join(' and ')}, ${options.concurrency} concurrent clients, ${options.players.toLocaleString('en-US')} registered players${medians}`,
    columns,
    comparisonRows('records', 'service'),
  );
}

/** The `--json` object's `forge` member: the documented keys only. */
export function forgeJson(results: Partial<Record<Backend, ForgeBackendFigures>>) {
  return Object.fromEntries(
    Object.entries(results).map(([backend, batches]) => [
      backend,
      Object.fromEntries(Object.entries(batches).map(([batch, f]) => [batch, comparisonJson('records', f)])),
    ]),
  );
}
