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
import { phaseMain, sendToParent, serveUntilStopped, timeJobs, type PhaseAnswer } from './support/process.js';
import { runConcurrently, type RssSampler } from './support/stats.js';

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

export type ForgePhaseMessage = { type: 'setup-done'; apiKey: string; ms: number } | PhaseAnswer;

const send = (message: ForgePhaseMessage) => sendToParent(message);
const config = () =>
  parseConfig({ logLevel: 'silent', port: 0, host: '127.0.0.1', webhookAllow: ['127.0.0.1'] });

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
  await timeJobs(store, rss, {
    warmup: warmup.length,
    timed: timed.length,
    concurrency: spec.concurrency,
    job: (i, warm) => write(warm ? warmup[i]! : timed[i]!),
  });
}

phaseMain<ForgePhaseSpec>({
  setup: setupPhase,
  http: async (spec, rss) => {
    const store = openBenchStore(spec.database);
    await store.migrate();
    const app = await buildApp(config(), store, { logger: false });
    await serveUntilStopped(app, store, rss);
  },
  ceiling: ceilingPhase,
});
