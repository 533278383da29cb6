import { keccak_256 } from '@noble/hashes/sha3.js';
import type { QuestInput } from '../../src/forge/quests.service.js';
import { prng } from './workload.js';

/**
 * What one Forge bench run sends: one seeded stream of playtime records, cut into batches of
 * 100 or of 1000, so every phase and batch size gets exactly the same records.
 */
export interface ForgeWorkload {
  /** Timed records per phase. */
  records: number;
  /** Untimed records sent first (after the timed ones in the stream), to warm the JIT and caches. */
  warmupRecords: number;
  /** Registered players (every one with an e-mail; some with a linked wallet too). */
  players: number;
  seed: number;
  /** Sessions end in the 28 days before this instant (epoch ms); the quests' window covers them. */
  baseTime: number;
}

export interface BenchWallet {
  blockchain: string;
  /** As a wallet shows it: EIP-55 mixed case for EVM chains, base58 for Solana. */
  address: string;
}

export interface BenchPlayer {
  email: string;
  wallet?: BenchWallet;
}

interface IdentityFields {
  record_id?: string;
  user_email?: string;
  wallet_address?: string;
  blockchain?: string;
}

export interface PlaytimeRecord extends IdentityFields {
  last_time_played: string;
  total_hours: number;
}

export interface AchievementRecord extends IdentityFields {
  achievement_title: string;
  achievement_description?: string;
  unlocked?: boolean;
  unlock_time?: number | string;
}

const DAY_MS = 86_400_000;
/** Of the registered players, this share has a wallet linked as well. */
const WALLET_SHARE = 0.3;
/** Records whose identity some registered player holds; the rest are archived. */
const KNOWN_SHARE = 0.6;
/** Archived identities: this many per registered player. */
const UNKNOWN_PER_PLAYER = 3;

const FIRST = ['alex', 'sam', 'maria', 'li', 'noah', 'emma', 'yuki', 'omar', 'zoe', 'ivan', 'ana', 'leo'];
const LAST = ['smith', 'garcia', 'chen', 'muller', 'rossi', 'kim', 'dubois', 'silva', 'novak', 'sato'];
const DOMAINS = ['gmail.com', 'outlook.com', 'proton.me', 'yahoo.co.jp', 'example.org', 'web.de'];
const EVM_CHAINS = ['ethereum', 'ethereum', 'ethereum', 'polygon', 'base', 'ronin', 'avalanche'];
const ACHIEVEMENTS = [
  'Dragon Slayer',
  'First Blood',
  'Treasure Hunter',
  'Speed Runner',
  'Master Crafter',
  'Explorer',
  'Guild Founder',
  'Untouchable',
  'Collector',
  'Marathon',
  'Sharpshooter',
  'Legend',
];
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

const pad = (n: number) => String(n).padStart(2, '0');
export function spaceTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function eip55(hexLower: string): string {
  const hash = keccak_256(new TextEncoder().encode(hexLower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = hexLower[i]!;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

function base58(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i]! << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let text = '';
  for (const byte of bytes) {
    if (byte !== 0) break;
    text += '1';
  }
  for (let i = digits.length - 1; i >= 0; i--) text += BASE58[digits[i]!]!;
  return text;
}

function wallet(random: () => number): BenchWallet {
  const int = (n: number) => Math.floor(random() * n);
  if (random() < 0.1) {
    // A Solana public key: 32 bytes, base58, first byte non-zero so it is 43–44 characters.
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 + int(255) : int(256)));
    return { blockchain: 'solana', address: base58(bytes) };
  }
  const hex = Array.from({ length: 40 }, () => '0123456789abcdef'[int(16)]!).join('');
  return { blockchain: EVM_CHAINS[int(EVM_CHAINS.length)]!, address: eip55(hex) };
}

function email(random: () => number, n: number): string {
  const int = (k: number) => Math.floor(random() * k);
  return `${FIRST[int(FIRST.length)]!}.${LAST[int(LAST.length)]!}${n}@${DOMAINS[int(DOMAINS.length)]!}`;
}

/** The registered players and the archived (unregistered) identities, from the seed alone. */
export function identityPool(workload: ForgeWorkload): {
  players: BenchPlayer[];
  unknownEmails: string[];
  unknownWallets: BenchWallet[];
} {
  const random = prng(workload.seed * 7 + 1);
  const players = Array.from({ length: workload.players }, (_, i): BenchPlayer => {
    const player: BenchPlayer = { email: email(random, 10_000 + i) };
    if (random() < WALLET_SHARE) player.wallet = wallet(random);
    return player;
  });
  const unknown = workload.players * UNKNOWN_PER_PLAYER;
  const unknownEmails = Array.from({ length: Math.ceil(unknown * 0.7) }, (_, i) =>
    email(random, 500_000 + i),
  );
  const unknownWallets = Array.from({ length: Math.ceil(unknown * 0.3) }, () => wallet(random));
  return { players, unknownEmails, unknownWallets };
}

/** How a partner's SDK may spell a wallet: EIP-55 as shown, all lower case, or Ronin's `ronin:`. */
function spell(w: BenchWallet, random: () => number): string {
  if (w.blockchain === 'solana') return w.address;
  const r = random();
  if (w.blockchain === 'ronin' && r < 0.5) return `ronin:${w.address.slice(2).toLowerCase()}`;
  return r < 0.6 ? w.address : w.address.toLowerCase();
}

/**
 * A record's identity: 60% a registered player's (their e-mail, one time in ten in upper case,
 * or half the time their linked wallet if they have one); 40% an identity nobody holds, which
 * is archived (70% e-mails, 30% wallets).
 */
function pickIdentity(
  pool: ReturnType<typeof identityPool>,
  random: () => number,
): Pick<PlaytimeRecord, 'user_email' | 'wallet_address' | 'blockchain'> {
  const { players, unknownEmails, unknownWallets } = pool;
  if (random() < KNOWN_SHARE) {
    // Mildly skewed: some players play far more than others.
    const player = players[Math.floor(players.length * random() ** 1.5)]!;
    if (player.wallet && random() < 0.5)
      return { wallet_address: spell(player.wallet, random), blockchain: player.wallet.blockchain };
    return { user_email: random() < 0.1 ? player.email.toUpperCase() : player.email };
  }
  if (random() < 0.7) return { user_email: unknownEmails[Math.floor(random() * unknownEmails.length)]! };
  const w = unknownWallets[Math.floor(random() * unknownWallets.length)]!;
  return { wallet_address: spell(w, random), blockchain: w.blockchain };
}

/** `count` sessions of 1 to 3 hours, each ending in the 28 days before `baseTime`. */
function playtimeRecords(workload: ForgeWorkload, pool: ReturnType<typeof identityPool>, count: number) {
  const random = prng(workload.seed * 13 + 5);
  return Array.from({ length: count }, (_, i): PlaytimeRecord => {
    const record: PlaytimeRecord = { last_time_played: '', total_hours: 0 };
    if (random() < 0.5) record.record_id = `pt-${i}`;
    Object.assign(record, pickIdentity(pool, random));
    const end = Math.floor((workload.baseTime - Math.floor(random() * 28 * DAY_MS)) / 1000) * 1000;
    record.last_time_played = spaceTimestamp(end);
    record.total_hours = Math.round((1 + 2 * random()) * 100) / 100;
    return record;
  });
}

/** `count` achievements: one of 12 titles, unlocked (nine in ten) in the last 28 days. */
function achievementRecords(workload: ForgeWorkload, pool: ReturnType<typeof identityPool>, count: number) {
  const random = prng(workload.seed * 17 + 3);
  return Array.from({ length: count }, (_, i): AchievementRecord => {
    const title = ACHIEVEMENTS[Math.floor(random() * ACHIEVEMENTS.length)]!;
    const record: AchievementRecord = { achievement_title: title };
    if (random() < 0.5) record.record_id = `ach-${i}`;
    Object.assign(record, pickIdentity(pool, random));
    if (random() < 0.3) record.achievement_description = `Unlocked ${title.toLowerCase()}`;
    record.unlocked = random() < 0.9;
    const at = Math.floor((workload.baseTime - Math.floor(random() * 28 * DAY_MS)) / 1000);
    // Epoch seconds, as a number or a string (both documented).
    record.unlock_time = random() < 0.5 ? at : String(at);
    return record;
  });
}

/** One request's records. */
export interface ForgeBatch {
  path: '/player/playtime' | '/player/achievement';
  records: PlaytimeRecord[] | AchievementRecord[];
}

/**
 * The workload cut into batches of `batchSize`: the timed ones (`records` in all), then the
 * warm-up ones (`warmupRecords`; sent first, but cut after the timed ones). Every fifth batch
 * is achievements, the others playtime; records are taken in order from one playtime stream
 * and one achievement stream, so every batch size sends the same records.
 */
export function forgeBatches(
  workload: ForgeWorkload,
  batchSize: number,
): { timed: ForgeBatch[]; warmup: ForgeBatch[] } {
  const pool = identityPool(workload);
  const total = workload.records + workload.warmupRecords;
  const sessions = playtimeRecords(workload, pool, total);
  const achievements = achievementRecords(workload, pool, total);
  let nextSession = 0;
  let nextAchievement = 0;
  const cut = (count: number) => {
    const batches: ForgeBatch[] = [];
    for (let sent = 0, i = 0; sent < count; sent += batchSize, i++) {
      const size = Math.min(batchSize, count - sent);
      if (i % 5 === 4) {
        batches.push({
          path: '/player/achievement',
          records: achievements.slice(nextAchievement, (nextAchievement += size)),
        });
      } else {
        batches.push({
          path: '/player/playtime',
          records: sessions.slice(nextSession, (nextSession += size)),
        });
      }
    }
    return batches;
  };
  const timed = cut(workload.records);
  return { timed, warmup: cut(workload.warmupRecords) };
}

/** Every active quest type, with windows covering the stream's sessions (and a month to come). */
export function benchQuests(workload: ForgeWorkload): QuestInput[] {
  const window = {
    starts_at: spaceTimestamp(workload.baseTime - 35 * DAY_MS),
    ends_at: spaceTimestamp(workload.baseTime + 30 * DAY_MS),
  };
  return [
    { type: 'hours_played', target: 20, ...window, reward: { kind: 'gems', amount: 100 } },
    { type: 'hours_played', target: 100, ...window, reward: { kind: 'gems', amount: 1000 } },
    { type: 'days_in_week', target: 3, ...window, reward: { kind: 'chest', amount: 1 } },
    { type: 'days_in_row', target: 3, ...window, reward: { kind: 'chest', amount: 2 } },
    {
      type: 'achievement',
      target: 1,
      achievement_title: 'Dragon Slayer',
      ...window,
      reward: { kind: 'badge', amount: 1 },
    },
    { type: 'achievements_count', target: 5, ...window, reward: { kind: 'gems', amount: 500 } },
  ];
}
