import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { Store } from '../../src/store/store.js';
import type { DashboardStats } from '../../src/records/records.service.js';
import type { CreatedKey, DashboardSummary, KeySummary } from '../../src/tenancy/tenancy.service.js';
import { VERSION } from '../../src/version.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ensureBuilt } from '../support/server-process.js';
import { expectUsageError, json, run } from '../support/cli-process.js';
import type { TestDashboard } from '../support/test-app.js';

const COMMANDS = [
  'migrate',
  'dashboard create',
  'dashboard list',
  'key create',
  'key list',
  'key revoke',
  'stats',
];
const ACTIONS = {
  actions: [
    { timestamp: '2019-01-01 15:04:05', user_id: '1001', action_id: '2002', action_name: 'buy_item' },
  ],
};

type CreatedDashboard = TestDashboard & DashboardSummary;

beforeAll(() => {
  // `npm test` builds first (pretest); run alone, this file compiles a stale dist/ itself.
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('traitforge CLI on %s', (backend) => {
  let db: TestDatabase;
  let app: { app: FastifyInstance; store: Store } | undefined;
  const cli = (...args: string[]) =>
    run(args, { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });

  /** The HTTP API on the database the CLI writes to: its answers show what the CLI did. */
  async function post(key: string): Promise<number> {
    if (!app) {
      const store = db.openStore();
      await store.migrate();
      const config = parseConfig({ dataDir: db.dataDir, logLevel: 'silent' });
      app = { app: await buildApp(config, store, { logger: false }), store };
    }
    const res = await app.app.inject({
      method: 'POST',
      url: '/v1/actions',
      headers: { authorization: `Bearer ${key}` },
      payload: ACTIONS,
    });
    return res.statusCode;
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

  it('migrate applies every migration, then says the database is up to date', async () => {
    const first = await cli('migrate');
    expect(first.code).toBe(0);
    for (const [name] of MIGRATIONS) expect(first.stdout).toContain(`applied ${name}`);
    const second = await cli('migrate');
    expect(second).toEqual({ code: 0, stdout: `${backend}: database is up to date\n`, stderr: '' });
    expect(json(await cli('migrate', '--json'))).toEqual({ backend, applied: [] });
  });

  it('dashboard create --json prints the admin API shape, and both keys authenticate', async () => {
    const created = json(
      await cli('dashboard', 'create', 'Space Game', '--slug', 'space', '--json'),
    ) as CreatedDashboard;
    expect(created).toEqual({
      id: expect.stringMatching(/^dsh_/),
      name: 'Space Game',
      slug: 'space',
      created_at: expect.any(String),
      keys: { production: expect.stringMatching(/^tf_live_/), sandbox: expect.stringMatching(/^tf_test_/) },
      key_ids: { production: expect.stringMatching(/^key_/), sandbox: expect.stringMatching(/^key_/) },
    });
    expect(await post(created.keys.production)).toBe(201);
    expect(await post(created.keys.sandbox)).toBe(201);

    const listed = json(await cli('dashboard', 'list', '--json')) as unknown[];
    expect(listed).toEqual([
      { id: created.id, name: 'Space Game', slug: 'space', created_at: created.created_at },
    ]);
    const text = await cli('dashboard', 'list');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${created.id}\\s+Space Game\\s+space\\s`, 'm'));
  });

  it('dashboard create prints the id and both keys as text, and says they are shown once', async () => {
    const result = await cli('dashboard', 'create', 'Text Game');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Created dashboard dsh_\w+$/m);
    expect(result.stdout).toMatch(/shown only once/);
    const production = /^\s+production\s+key_\w+\s+(tf_live_\S+)$/m.exec(result.stdout)?.[1];
    const sandbox = /^\s+sandbox\s+key_\w+\s+(tf_test_\S+)$/m.exec(result.stdout)?.[1];
    expect(await post(production!)).toBe(201);
    expect(await post(sandbox!)).toBe(201);
  });

  it('key create makes a working key; key list shows its prefix and never a key', async () => {
    const dash = json(await cli('dashboard', 'create', 'Keys', '--json')) as CreatedDashboard;
    const created = json(
      await cli('key', 'create', '--dashboard', dash.id, '--environment', 'sandbox', '--json'),
    ) as CreatedKey;
    expect(created).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^tf_test_/),
      environment: 'sandbox',
      prefix: created.key.slice(0, created.prefix.length),
    });
    expect(await post(created.key)).toBe(201);
    const byDefault = json(await cli('key', 'create', '--dashboard', dash.id, '--json')) as CreatedKey;
    expect(byDefault.environment).toBe('production');

    const secrets = [dash.keys.production, dash.keys.sandbox, created.key, byDefault.key];
    const listed = await cli('key', 'list', '--dashboard', dash.id, '--json');
    const keys = json(listed) as KeySummary[];
    expect(keys.map((k) => k.id).sort()).toEqual(
      [dash.key_ids.production, dash.key_ids.sandbox, created.id, byDefault.id].sort(),
    );
    expect(keys.map((k) => Object.keys(k).sort())[0]).toEqual([
      'created_at',
      'environment',
      'id',
      'prefix',
      'revoked_at',
    ]);
    const text = await cli('key', 'list', '--dashboard', dash.id);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(created.prefix);
    for (const secret of secrets) {
      expect(listed.stdout).not.toContain(secret);
      expect(text.stdout).not.toContain(secret);
    }
  });

  it('key revoke makes the key fail with 401 at once; revoking again is harmless', async () => {
    const dash = json(await cli('dashboard', 'create', 'Revoke', '--json')) as CreatedDashboard;
    expect(await post(dash.keys.production)).toBe(201);
    const revoke = ['key', 'revoke', '--dashboard', dash.id, dash.key_ids.production];
    expect(json(await cli(...revoke, '--json'))).toEqual({ id: dash.key_ids.production, revoked: true });
    expect(await post(dash.keys.production)).toBe(401);
    expect(await post(dash.keys.sandbox)).toBe(201);

    const again = await cli(...revoke);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Revoked key ${dash.key_ids.production}`);
    const keys = json(await cli('key', 'list', '--dashboard', dash.id, '--json')) as KeySummary[];
    expect(keys.find((k) => k.id === dash.key_ids.production)?.revoked_at).toEqual(expect.any(String));
    expect(keys.find((k) => k.id === dash.key_ids.sandbox)?.revoked_at).toBeNull();
  });

  it('stats reports what the API stored', async () => {
    const dash = json(await cli('dashboard', 'create', 'Stats', '--json')) as CreatedDashboard;
    expect(await post(dash.keys.sandbox)).toBe(201);
    const stats = json(await cli('stats', '--dashboard', dash.id, '--json')) as DashboardStats;
    expect(stats.dashboard_id).toBe(dash.id);
    expect(stats.records.sandbox.actions).toBe(1);
    expect(stats.records.production.actions).toBe(0);
    expect(stats.daily).toEqual([
      expect.objectContaining({ environment: 'sandbox', type: 'actions', count: 1 }),
    ]);
    const text = await cli('stats', '--dashboard', dash.id);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\s+actions\s+0\s+1$/m);
  });

  it('an unknown dashboard exits 1 with one clear line and no stack trace', async () => {
    const commands = [
      ['key', 'list', '--dashboard', 'dsh_nope'],
      ['key', 'create', '--dashboard', 'dsh_nope', '--json'],
      ['key', 'revoke', '--dashboard', 'dsh_nope', 'key_nope'],
      ['stats', '--dashboard', 'dsh_nope'],
    ];
    for (const result of await Promise.all(commands.map((args) => cli(...args)))) {
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'traitforge: dashboard dsh_nope does not exist\n',
      });
    }
  });

  it('a refused dashboard create exits 1 with the reason', async () => {
    json(await cli('dashboard', 'create', 'First', '--slug', 'taken', '--json'));
    expect(await cli('dashboard', 'create', 'Second', '--slug', 'taken')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'traitforge: slug "taken" is taken by another dashboard\n',
    });
  });
});

describe('traitforge CLI usage', () => {
  let dataDir: string;
  const cli = (...args: string[]) => run(args, { TRAITFORGE_DATA_DIR: dataDir });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'traitforge-cli-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([['--help'], ['-h'], ['help']])('%s lists every command', async (flag) => {
    const result = await cli(flag);
    expect(result.code).toBe(0);
    for (const command of [...COMMANDS, 'help'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each(COMMANDS)('%s --help prints its usage, before any other check', async (command) => {
    const words = command.split(' ');
    const forms = [
      [...words, '--help'],
      [...words, '--bogus', '-h'],
      ['help', ...words],
    ];
    for (const result of await Promise.all(forms.map((args) => cli(...args)))) {
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`Usage: traitforge ${command}`)).toBe(true);
    }
  });

  it('--version prints the version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('an unknown command exits 2 with one line and a hint', async () => {
    expectUsageError(
      await cli('dashbaord', 'list'),
      /^traitforge: unknown command 'dashbaord' \(did you mean/,
    );
    expectUsageError(await cli('key', 'delete'), /^traitforge: unknown command 'key delete'/);
    expectUsageError(await cli('key'), /^traitforge: 'key' needs a command: create, list, revoke$/);
    expectUsageError(await cli('help', 'nope'), /^traitforge: unknown command 'nope'/);
  });

  it('a bad flag or argument exits 2 without touching the database', async () => {
    const cases: [string[], RegExp][] = [
      [['dashboard', 'list', '--bogus'], /unknown option '--bogus'/],
      [['--bogus'], /unknown option '--bogus'/],
      [['key', 'create'], /missing --dashboard <id>/],
      [['key', 'create', '--dashboard', 'x', '--environment', 'staging'], /must be production or sandbox/],
      [['dashboard', 'create'], /missing <name>/],
      [['dashboard', 'create', 'Two', 'Words'], /unexpected argument 'Words'/],
      [['dashboard', 'create', 'x', '--slug'], /option '--slug' needs a value/],
      [['migrate', '--json=yes'], /option '--json' takes no value/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    results.forEach((result, i) => {
      expectUsageError(result, cases[i]![1]);
    });
    expect(existsSync(join(dataDir, 'traitforge.sqlite'))).toBe(false);
  });

  it('a bad setting exits 1 naming the variable', async () => {
    const result = await run(['dashboard', 'list'], {
      TRAITFORGE_DATA_DIR: dataDir,
      TRAITFORGE_MAX_BATCH: 'many',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^traitforge: TRAITFORGE_MAX_BATCH [^\n]*"many"\n$/);
  });
});
