import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { normalizeRecord, type NormalizedRow } from '../../src/events/normalize.js';
import type { FieldError } from '../../src/errors.js';
import { seededRandom } from '../../src/domain/seeded-random.js';

/** What one bench run sends: the same batches reach the HTTP server and, in the ceiling run, the store. */
export interface Workload {
  batches: number;
  batchSize: number;
  users: number;
  /** Seeds every batch, so two processes build byte-identical batches from the same workload. */
  seed: number;
  /** The last batch is "sent" at this instant (epoch ms); event times fall before it. */
  baseTime: number;
}

export interface BenchAction {
  timestamp: string | number;
  user_id: string;
  action_id: string;
  action_name: string;
  action_params?: { key: string; value: string }[];
}

/** The bench's generator: small, fast and the same on every machine. */
export const prng = seededRandom;

const ACTIONS: readonly (readonly [id: string, name: string, params: readonly string[]])[] = [
  ['1001', 'start_level', ['level', 'difficulty']],
  ['1002', 'finish_level', ['level', 'result', 'duration_ms', 'stars']],
  ['2001', 'buy_item', ['item_id', 'price', 'currency']],
  ['2002', 'open_chest', ['chest_id', 'source']],
  ['3001', 'send_gift', ['target_user_id', 'item_id']],
  ['3002', 'join_clan', ['clan_id']],
  ['4001', 'watch_ad', ['placement', 'reward']],
  ['4002', 'spin_wheel', []],
  ['5001', 'craft_item', ['item_id', 'quantity', 'station']],
  ['6001', 'pvp_match', ['mode', 'result', 'rating_delta', 'duration_ms']],
];
const WORDS = ['shop', 'daily', 'event', 'quest', 'arena', 'gold', 'gems', 'win', 'lose', 'normal', 'hard'];

const pad = (n: number) => String(n).padStart(2, '0');
function spaceTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Batch `index` of the workload: `batchSize` actions of random users from the pool. */
export function buildBatch(workload: Workload, index: number): BenchAction[] {
  const random = prng(workload.seed * 1_000_003 + index);
  const int = (n: number) => Math.floor(random() * n);
  const actions: BenchAction[] = [];
  for (let i = 0; i < workload.batchSize; i++) {
    const [actionId, actionName, paramNames] = ACTIONS[int(ACTIONS.length)]!;
    // Sent a few seconds apart; SDKs flush within a minute, but one event in ten comes from a
    // device that was offline, up to a day late.
    const sentAt = workload.baseTime - (workload.batches - index) * 250;
    const ms = sentAt - (random() < 0.9 ? int(60_000) : int(24 * 3600 * 1000));
    // Mostly the documents' "YYYY-MM-DD HH:MM:SS"; some SDKs send epoch seconds.
    const timestamp = random() < 0.8 ? spaceTimestamp(ms) : Math.floor(ms / 1000);
    const action: BenchAction = {
      timestamp,
      user_id: `player-${100000 + int(workload.users)}`,
      action_id: actionId,
      action_name: actionName,
    };
    if (paramNames.length > 0) {
      action.action_params = paramNames.map((key) => ({
        key,
        value:
          key.endsWith('_id') || /level|ms|price|delta|quantity|stars|reward/.test(key)
            ? String(int(100000))
            : WORDS[int(WORDS.length)]!,
      }));
    }
    actions.push(action);
  }
  return actions;
}

/** The `/v1/actions` request body of batch `index`, serialized once, before any timing. */
export function buildBody(workload: Workload, index: number): Buffer {
  return Buffer.from(JSON.stringify({ actions: buildBatch(workload, index) }));
}

/** Batch `index` as the ingest service would hand it to the store. */
export function normalizeBatch(workload: Workload, index: number, receivedAt: number): NormalizedRow[] {
  const def = RECORD_TYPE_DEFS.actions;
  const errors: FieldError[] = [];
  const rows = buildBatch(workload, index).map((record, i) =>
    normalizeRecord(def, record as unknown as Record<string, unknown>, i, receivedAt, errors),
  );
  if (errors.length > 0) throw new Error(`bench workload is invalid: ${JSON.stringify(errors[0])}`);
  return rows as NormalizedRow[];
}
