import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import type { ForgeKeySummary } from '../../src/forge/forge-keys.service.js';
import type { PlayerView } from '../../src/forge/players.service.js';
import type { ProgressView, QuestView, RewardView } from '../../src/forge/quests.service.js';
import type { Store } from '../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ensureBuilt } from '../support/server-process.js';
import { expectUsageError, json, run, type Run } from '../support/cli-process.js';

const GROUPS: Record<string, string[]> = {
  'forge-key': ['create', 'list', 'revoke', 'quota'],
  player: ['create', 'show', 'link-wallet', 'link-platform', 'quests', 'rewards'],
  quest: ['create', 'list', 'webhook', 'webhook-secret'],
};
const COMMANDS = Object.entries(GROUPS).flatMap(([group, names]) => names.map((n) => `${group} ${n}`));
const WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const SESSION = { last_time_played: '2026-01-03 10:00:00', total_hours: 3, user_email: 'alex@example.com' };
const WINDOW = ['--starts-at', '2026-01-01 00:00:00', '--ends-at', '2026-03-01 00:00:00'];

type CreatedForgeKey = Pick<ForgeKeySummary, 'id' | 'partner' | 'game' | 'game_id' | 'daily_quota'> & {
  key: string;
};

/** `line` split at its spaces, then `more` as they are (for values with spaces, or empty). */
const argv = (line: string, more: readonly string[]) => [...line.split(' '), ...more];

/** A refusal by a service: exit 1, nothing on stdout, one line on stderr. */
const refused = (message: string): Run => ({ code: 1, stdout: '', stderr: `traitforge: ${message}\n` });
const printed = (stdout: string): Run => ({ code: 0, stdout: `${stdout}\n`, stderr: '' });

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('traitforge Forge commands on %s', (backend) => {
  let db: TestDatabase;
  let app: { app: FastifyInstance; store: Store } | undefined;
  const cli = (line: string, ...more: string[]) =>
    run(argv(line, more), { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });
  const createKey = async (gameId: string, more = '') =>
    json(
      await cli(`forge-key create --partner pixel --game Pixel --game-id ${gameId} --json${more}`),
    ) as CreatedForgeKey;

  /** The HTTP API on the database the CLI writes to: its answers show what the CLI did. */
  async function server(): Promise<{ app: FastifyInstance; store: Store }> {
    if (!app) {
      const store = db.openStore();
      await store.migrate();
      const config = parseConfig({ dataDir: db.dataDir, logLevel: 'silent' });
      app = { app: await buildApp(config, store, { logger: false }), store };
    }
    return app;
  }

  /** POST /player/playtime with a Forge key (SESSION: 3 hours on 2026-01-03): the status code. */
  async function playtime(key: string): Promise<number> {
    const { app } = await server();
    const headers = { 'x-api-key': key };
    return (await app.inject({ method: 'POST', url: '/player/playtime', headers, payload: SESSION }))
      .statusCode;
  }

  beforeEach(async () => {
    db = await createTestDatabase(backend);
  });
  afterEach(async () => {
    if (app) {
      await app.app.close();
      await app.store.close();
      app = undefined;
    }
    await db.drop();
  });

  it('forge-key create makes a key that authenticates POST /player/playtime; list shows use, never keys', async () => {
    const created = await createKey('pixel-1', ' --daily-quota 3');
    expect(created).toEqual({
      id: expect.stringMatching(/^fk_/),
      key: expect.any(String),
      partner: 'pixel',
      game: 'Pixel',
      game_id: 'pixel-1',
      daily_quota: 3,
    });
    expect(await playtime(created.key)).toBe(200);

    const text = await cli('forge-key create --partner pixel --game-id other --game', 'Other Game');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Created Forge key fk_\w+ for game other$/m);
    expect(text.stdout).toMatch(/^\s+daily_quota\s+500000$/m);
    expect(text.stdout).toMatch(/shown only once/);
    const key = /^\s+key\s+(\S+)$/m.exec(text.stdout)?.[1] ?? '';
    expect(await playtime(key)).toBe(200);

    const listed = await cli('forge-key list --json');
    const keys = json(listed) as ForgeKeySummary[];
    expect(keys[0]).toEqual({
      ...created,
      key: undefined,
      used_today: 1,
      created_at: expect.any(String),
      revoked_at: null,
    });
    expect(keys.map((k) => k.daily_quota)).toEqual([3, 500000]);
    const table = await cli('forge-key list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^ID\s+PARTNER\s+GAME\s+GAME ID\s+USED TODAY\s+DAILY QUOTA\s+CREATED\s+REVOKED$/m,
    );
    expect(table.stdout).toMatch(
      new RegExp(`^${created.id}\\s+pixel\\s+Pixel\\s+pixel-1\\s+1\\s+3\\s+\\S+\\s+-$`, 'm'),
    );
    for (const secret of [created.key, key]) {
      expect(listed.stdout).not.toContain(secret);
      expect(table.stdout).not.toContain(secret);
    }
  });

  it('forge-key quota and revoke take effect from the next request on', async () => {
    const { id, key } = await createKey('pixel-2');
    expect(json(await cli(`forge-key quota ${id} --daily-quota 1 --json`))).toEqual({ id, daily_quota: 1 });
    expect(await playtime(key)).toBe(200);
    expect(await playtime(key)).toBe(429);
    const raised = await cli(`forge-key quota ${id} --daily-quota 5`);
    expect(raised).toEqual(printed(`Set the daily quota of Forge key ${id} to 5 requests`));
    expect(await playtime(key)).toBe(200);

    expect(json(await cli(`forge-key revoke ${id} --json`))).toEqual({ id, revoked: true });
    expect(await playtime(key)).toBe(401);
    expect(await cli(`forge-key revoke ${id}`)).toEqual(printed(`Revoked Forge key ${id}`));
    const [listed] = json(await cli('forge-key list --json')) as ForgeKeySummary[];
    expect(listed).toMatchObject({ id, daily_quota: 5, used_today: 2, revoked_at: expect.any(String) });
  });

  it('refusals of forge-key commands exit 1 with the reason', async () => {
    const results = await Promise.all([
      cli('forge-key revoke fk_nope'),
      cli('forge-key quota fk_nope --daily-quota 2'),
      cli('forge-key quota fk_nope --daily-quota 0'),
      cli('forge-key create --partner a:b --game g --game-id g --json'),
    ]);
    expect(results).toEqual([
      refused('there is no Forge key fk_nope'),
      refused('there is no Forge key fk_nope'),
      refused('daily_quota must be a whole number ≥ 1'),
      refused('partner must be 1 to 64 letters, digits, spaces, dots, dashes or underscores (no ":")'),
    ]);
    expect(await cli('forge-key list')).toEqual(
      printed('No Forge keys yet: create one with traitforge forge-key create'),
    );
  });

  it('quest create, playtime, player create --email: player quests shows progress, player rewards the reward', async () => {
    const { key } = await createKey('pixel-3');
    const quest = (line: string) =>
      cli(`quest create --game-id pixel-3 --type hours_played --reward-amount 50 ${line}`, ...WINDOW);
    const done = json(await quest('--target 2 --reward-kind gems --json')) as QuestView;
    expect(done).toEqual({
      id: expect.stringMatching(/^qst_/),
      game_id: 'pixel-3',
      type: 'hours_played',
      target: 2,
      achievement_title: null,
      starts_at: '2026-01-01 00:00:00',
      ends_at: '2026-03-01 00:00:00',
      reward: { kind: 'gems', amount: 50 },
      created_at: expect.any(String),
    });
    const text = await quest('--target 10 --reward-kind coins');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\s+reward\s+50 coins$/m);
    const partial = /^Created quest (qst_\w+) for game pixel-3$/m.exec(text.stdout)?.[1] ?? '';

    expect(await playtime(key)).toBe(200);
    const player = json(await cli('player create --email Alex@Example.com --json')) as PlayerView;
    expect(player).toMatchObject({
      id: expect.stringMatching(/^ply_/),
      email: 'alex@example.com',
      wallets: [],
    });

    const progress = json(await cli(`player quests ${player.id} --json`)) as ProgressView[];
    const type = 'hours_played';
    expect(progress).toEqual([
      { quest_id: done.id, type, current: 3, target: 2, percent: 100, completed_at: expect.any(String) },
      { quest_id: partial, type, current: 3, target: 10, percent: 30, completed_at: null },
    ]);
    const rewards = json(await cli(`player rewards ${player.id} --json`)) as RewardView[];
    const granted = { quest_id: done.id, kind: 'gems', amount: 50, granted_at: expect.any(String) };
    expect(rewards).toEqual([granted]);

    const [questsText, rewardsText, listText, listJson] = await Promise.all([
      cli(`player quests ${player.id}`),
      cli(`player rewards ${player.id}`),
      cli('quest list --game-id pixel-3'),
      cli('quest list --game-id pixel-3 --json'),
    ]);
    const row = (...cells: (string | number)[]) => new RegExp(`^${cells.join('\\s+')}`, 'm');
    expect(questsText.stdout).toMatch(row(done.id, 'hours_played', 3, 2, '100%', '\\d{4}-'));
    expect(questsText.stdout).toMatch(row(partial, 'hours_played', 3, 10, '30%', '-$'));
    expect(rewardsText.stdout).toMatch(row(done.id, 'gems', 50, '\\d{4}-'));
    const window = ['2026-01-01 00:00:00', '2026-03-01 00:00:00'];
    expect(listText.stdout).toMatch(row(done.id, 'hours_played', 2, ...window, '50 gems', '-$'));
    expect((json(listJson) as QuestView[]).map((q) => q.id)).toEqual([done.id, partial]);
  });

  it('player link-wallet and link-platform: bad input exits 1 with the validation message', async () => {
    const created = await cli('player create');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^\s+email\s+-$/m);
    const id = /^Created player (ply_\w+)$/m.exec(created.stdout)?.[1] ?? '';

    expect(await cli(`player link-wallet ${id} --blockchain ethereum --address 0x123`)).toEqual(
      refused('Invalid wallet address: ethereum addresses are 0x followed by 40 hex digits.'),
    );
    expect(await cli(`player link-wallet ${id} --blockchain dogecoin --address ${WALLET}`)).toEqual(
      refused('Invalid blockchain: use one of avalanche, base, ethereum, polygon, ronin, solana, sui.'),
    );
    const linked = json(
      await cli(`player link-wallet ${id} --blockchain Ethereum --address ${WALLET} --json`),
    ) as PlayerView;
    expect(linked.wallets).toEqual([{ blockchain: 'ethereum', address: WALLET.toLowerCase() }]);
    const platform = json(
      await cli(`player link-platform ${id} --platform steam --platform-user-id 7656 --json`),
    );
    expect(platform).toEqual({ ...linked, platforms: [{ platform: 'steam', platform_user_id: '7656' }] });
    expect(json(await cli(`player show ${id} --json`))).toEqual(platform);
    const shown = await cli(`player show ${id}`);
    expect(shown.stdout).toMatch(new RegExp(`^\\s+wallet\\s+ethereum ${WALLET.toLowerCase()}$`, 'm'));
    expect(shown.stdout).toMatch(/^\s+platform\s+steam 7656$/m);

    const other = json(await cli('player create --json')) as PlayerView;
    const results = await Promise.all([
      cli(`player link-wallet ${other.id} --blockchain ethereum --address ${WALLET}`),
      cli(`player link-platform ${other.id} --platform steam! --platform-user-id 1`),
      cli('player create --email not-an-email'),
      cli('player show ply_nope'),
      cli('player quests ply_nope --json'),
      cli('player rewards ply_nope'),
      cli('player link-platform ply_nope --platform steam --platform-user-id 1'),
    ]);
    expect(results).toEqual([
      refused('another player already holds this identity'),
      refused('Invalid platform: a short name such as steam, xbox, psn, epic or discord.'),
      refused('Invalid email address.'),
      ...Array.from({ length: 4 }, () => refused('there is no player ply_nope')),
    ]);
  });

  it('quest webhook sets and clears the URL; refusals of quest commands exit 1', async () => {
    const set = await cli('quest webhook --game-id pixel-4 --url https://example.com/hook --json');
    expect(json(set)).toEqual({
      game_id: 'pixel-4',
      url: 'https://example.com/hook',
      secret: expect.stringMatching(/^whsec_/),
    });
    const { store } = await server();
    const hooks = () => store.db.selectFrom('webhook_endpoints').select(['owner_id', 'url']).execute();
    expect(await hooks()).toEqual([{ owner_id: 'pixel-4', url: 'https://example.com/hook' }]);
    const rotated = json(await cli('quest webhook-secret --game-id pixel-4 --json')) as { secret: string };
    expect(rotated).toEqual({ game_id: 'pixel-4', secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe((json(set) as { secret: string }).secret);
    const cleared = await cli('quest webhook --game-id pixel-4 --clear');
    expect(cleared).toEqual(printed('Cleared the quest webhook of game pixel-4'));
    expect(await hooks()).toEqual([]);
    expect(await cli('quest webhook-secret --game-id pixel-4')).toEqual(
      refused('game pixel-4 has no quest webhook'),
    );

    const create = (line: string, ...more: string[]) =>
      cli(`quest create --game-id pixel-4 --target 1 --reward-kind gems --reward-amount 1 ${line}`, ...more);
    const results = await Promise.all([
      cli('quest webhook --game-id pixel-4 --url ftp://example.com'),
      create('--type achievement', ...WINDOW),
      create('--type hours_played --starts-at 2026-02-01 --ends-at 2026-01-01'),
      create('--type hours_played --starts-at soon --ends-at 2026-01-01'),
    ]);
    expect(results).toEqual([
      refused('url must be an absolute http:// or https:// URL'),
      refused('achievement_title is required for an achievement quest'),
      refused('ends_at must be after starts_at'),
      refused('starts_at must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds'),
    ]);
    expect(await cli('quest list --game-id pixel-4')).toEqual(
      printed('Game pixel-4 has no quests: create one with traitforge quest create'),
    );
  });
});

describe('traitforge Forge commands usage', () => {
  let dataDir: string;
  const cli = (line: string, ...more: string[]) => run(argv(line, more), { TRAITFORGE_DATA_DIR: dataDir });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'traitforge-cli-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('--help lists every new command, and each group lists its own', async () => {
    const general = await cli('--help');
    expect(general.code).toBe(0);
    for (const command of COMMANDS) expect(general.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const [group, names] of Object.entries(GROUPS)) {
      for (const result of await Promise.all([cli(`${group} --help`), cli(`help ${group}`)])) {
        expect(result.code).toBe(0);
        expect(result.stdout.startsWith(`Usage: traitforge ${group} <command>`)).toBe(true);
        for (const name of names) expect(result.stdout).toMatch(new RegExp(`^  ${group} ${name}\\b`, 'm'));
      }
    }
  });

  it.each(COMMANDS)('%s --help prints its usage, before any other check', async (command) => {
    const forms = [`${command} --help`, `${command} --bogus -h`, `help ${command}`];
    for (const result of await Promise.all(forms.map((line) => cli(line)))) {
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`Usage: traitforge ${command}`)).toBe(true);
    }
  });

  it('quest webhook --help shows the choice of --url or --clear', async () => {
    const result = await cli('quest webhook --help');
    const usage = 'Usage: traitforge quest webhook --game-id <id> (--url <url> | --clear) [--json]';
    expect(result.stdout.split('\n')[0]).toBe(usage);
  });

  it('usage errors exit 2 with a hint, without touching the database', async () => {
    const quest = 'quest create --game-id g --target 1 --starts-at 2026-01-01 --ends-at 2026-02-01';
    const cases: [string, RegExp, string[]?][] = [
      ['forge-key', /^traitforge: 'forge-key' needs a command: create, list, revoke, quota$/],
      ['player delete', /^traitforge: unknown command 'player delete'/],
      ['qeust list', /^traitforge: unknown command 'qeust' \(did you mean 'quest'\?\)$/],
      ['forge-key create --partner p --game g', /missing --game-id <id>/],
      ['forge-key create --partner p --game g --game-id g --daily-quota x', /--daily-quota must be a number/],
      ['forge-key revoke', /missing <id>/],
      ['forge-key quota fk_1', /missing --daily-quota <n>/],
      ['forge-key quota fk_1 --daily-quota 0x10', /--daily-quota must be a number, got '0x10'/],
      ['player show', /missing <id>/],
      ['player show a b', /unexpected argument 'b'/],
      ['player create --email', /option '--email' needs a value/],
      [`player link-wallet ply_1 --address ${WALLET}`, /missing --blockchain <chain>/],
      ['player link-platform ply_1 --platform steam', /missing --platform-user-id <user_id>/],
      ['quest create --game-id g', /missing --type <type>/],
      [`${quest} --type hours_played --reward-kind gems`, /missing --reward-amount <n>/],
      [`${quest} --type weekly`, /--type must be hours_played, days_in_week, .* got 'weekly'$/],
      [`${quest} --type hours_played --target ten`, /--target must be a number, got 'ten'/],
      ['quest list', /missing --game-id <id>/],
      ['quest list --game-id', /--game-id must be 1 to 64 characters/, ['']],
      ['quest webhook --game-id g', /missing --url <url> or --clear/],
      ['quest webhook --game-id g --url https://x --clear', /--url and --clear cannot go together/],
      ['quest webhook --game-id g --clear=yes', /option '--clear' takes no value/],
    ];
    const results = await Promise.all(cases.map(([line, , more = []]) => cli(line, ...more)));
    results.forEach((result, i) => {
      expectUsageError(result, cases[i]![1]);
    });
    expect(existsSync(join(dataDir, 'traitforge.sqlite'))).toBe(false);
  });
});
