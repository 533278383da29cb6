/**
 * One Forge bench phase in its own process (its peak RSS and CPU are its own):
 * - `setup` fills the template database every other phase starts from: a Forge key, the
 *   game's quests and webhook, and the registered players (through PlayersService);
 * - `http` serves the real app on a copy of it until told to stop;
 * - `ceiling` sends the same batches straight to ForgeIngestService (playtime, achievement) on
 *   another copy.
 * Started by forge.ts with the phase as JSON in argv[2]; answers over IPC.
 */
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import { buildServices, type Services } from '../src/services.js';
import type { Store } from '../src/store/store.js';
import { openBenchStore, type BenchDatabase } from './support/database.js';
import {
  benchQuests,
  forgeBatches,
  identityPool,
  type ForgeBatch,
  type ForgeWorkload,
} from './support/forge-workload.js';
import { cpuSince, sendToParent } from './support/process.js';
import { RssSampler, runConcurrently } from './support/stats.js';

const FORGE_GAME = { partner: 'Bench Partner', game: 'Bench Game', gameId: 'bench-game' } as const;
/** Set so that grants write their webhook deliveries; no worker runs in the bench, so nothing is sent. */
const FORGE_WEBHOOK = 'http://127.0.0.1:9/forge-webhook';

export interface ForgePhaseSpec {
  phase: 'setup' | 'http' | 'ceiling';
  database: BenchDatabase;
  workload: ForgeWorkload;
  batchSize: number;
  concurrency: number;
  /** The Forge key made by `setup` (http and ceiling phases). */
  apiKey?: string;
}

export type ForgePhaseMessage =
  | { type: 'setup-done'; apiKey: string; ms: number }
  | { type: 'ready'; port: number }
  | {
      type: 'done';
      peakRssMb: number;
      /** CPU time (user + system) this process spent in the timed section, ms. */
      cpuMs: number;
      latencies?: number[];
      elapsedMs?: number;
    }
  | { type: 'failed'; error: string };

const send = (message: ForgePhaseMessage) => sendToParent(message);
const config = () => parseConfig({ logLevel: 'silent', port: 0, host: '127.0.0.1' });

async function open(spec: ForgePhaseSpec): Promise<{ store: Store; services: Services }> {
  const store = openBenchStore(spec.database);
  await store.migrate();
  return { store, services: buildServices(config(), store) };
}

async function setupPhase(spec: ForgePhaseSpec): Promise<void> {
  const started = performance.now();
  const { store, services } = await open(spec);
  const { key } = await services.forgeKeys.create(
    FORGE_GAME.partner,
    FORGE_GAME.game,
    FORGE_GAME.gameId,
    100_000_000,
  );
  for (const quest of benchQuests(spec.workload)) await services.quests.create(FORGE_GAME.gameId, quest);
  await services.quests.setWebhook(FORGE_GAME.gameId, FORGE_WEBHOOK);
  const { players } = identityPool(spec.workload);
  // Registered as an operator would, a few at a time.
  await runConcurrently(players.length, 4, async (i) => {
    const player = players[i]!;
    const { id } = await services.players.create(player.email);
    if (player.wallet) await services.players.linkWallet(id, player.wallet.blockchain, player.wallet.address);
  });
  await store.close();
  await send({ type: 'setup-done', apiKey: key, ms: performance.now() - started });
}

async function httpPhase(spec: ForgePhaseSpec, rss: RssSampler): Promise<void> {
  const store = openBenchStore(spec.database);
  await store.migrate();
  const app = await buildApp(config(), store, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  let cpuAtMark = process.cpuUsage();
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (message: { type?: string }) => {
      // The parent marks the end of its warmup: the timed section starts.
      if (message.type === 'mark') cpuAtMark = process.cpuUsage();
      if (message.type === 'stop') resolve();
    });
  });
  await send({ type: 'ready', port: address.port });
  await stopped;
  const cpuMs = cpuSince(cpuAtMark);
  const peakRssMb = rss.stop();
  await app.close();
  await store.close();
  await send({ type: 'done', peakRssMb, cpuMs });
}

async function ceilingPhase(spec: ForgePhaseSpec, rss: RssSampler): Promise<void> {
  const { store, services } = await open(spec);
  const caller = await services.forgeKeys.authenticate(spec.apiKey);
  // Built before timing, as the HTTP phase's bodies are: the ceiling is the service alone
  // (validation, identities, the write and the quest recompute).
  const { timed, warmup } = forgeBatches(spec.workload, spec.batchSize);
  const write = async (batch: ForgeBatch) => {
    const result =
      batch.path === '/player/playtime'
        ? await services.forgeIngest.playtime(caller, batch.records)
        : await services.forgeIngest.achievement(caller, batch.records);
    if (result.records_failed > 0) throw new Error(`records refused: ${JSON.stringify(result.errors[0])}`);
  };
  await runConcurrently(warmup.length, spec.concurrency, (i) => write(warmup[i]!));
  const cpuAtStart = process.cpuUsage();
  const { latencies, elapsedMs } = await runConcurrently(timed.length, spec.concurrency, (i) =>
    write(timed[i]!),
  );
  const cpuMs = cpuSince(cpuAtStart);
  const peakRssMb = rss.stop();
  await store.close();
  await send({ type: 'done', peakRssMb, cpuMs, latencies, elapsedMs });
}

async function main(): Promise<void> {
  const rss = new RssSampler(50);
  const spec = JSON.parse(process.argv[2] ?? '{}') as ForgePhaseSpec;
  try {
    if (spec.phase === 'setup') await setupPhase(spec);
    else if (spec.phase === 'http') await httpPhase(spec, rss);
    else await ceilingPhase(spec, rss);
  } catch (error) {
    await send({
      type: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  process.disconnect();
}

void main();
