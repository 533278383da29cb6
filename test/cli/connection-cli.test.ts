import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { json, run } from '../support/cli-process.js';
import { ensureBuilt } from '../support/server-process.js';

const action = (user: number) =>
  JSON.stringify({
    timestamp: '2024-01-01 10:00:00',
    user_id: String(user),
    action_id: '1',
    action_name: 'go',
  });

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('traitforge connection, notifications and playfab on %s', (backend) => {
  let db: TestDatabase;
  let dir: string;
  let dashboardId: string;
  const cli = (...args: string[]) =>
    run(args, { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    dir = mkdtempSync(join(tmpdir(), 'traitforge-conn-cli-'));
    mkdirSync(join(dir, 'actions', 'day=1'), { recursive: true });
    writeFileSync(join(dir, 'actions', 'day=1', 'a.ndjson'), `${action(1)}\n${action(2)}\n{bad\n`);
    dashboardId = (json(await cli('dashboard', 'create', 'Conn game', '--json')) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('adds, tests, syncs, shows, lists and removes a connection', async () => {
    const created = json(
      await cli(
        'connection',
        'add',
        'local',
        '--path',
        dir,
        '--schedule-minutes',
        '15',
        '--dashboard',
        dashboardId,
        '--json',
      ),
    ) as { id: string; schedule_minutes: number; status: string };
    expect(created).toMatchObject({ schedule_minutes: 15, status: 'never_synced' });

    const tested = await cli('connection', 'test', created.id, '--dashboard', dashboardId);
    expect(tested.code).toBe(1);
    expect(tested.stdout).toMatch(/actions\/day=1\/a\.ndjson:3 invalid JSON/);

    const synced = json(await cli('connection', 'sync', created.id, '--dashboard', dashboardId, '--json'));
    expect(synced).toMatchObject({ files_ingested: 1, records_ingested: 2, errors: [{ line: 3 }] });
    const shown = await cli('connection', 'show', created.id, '--dashboard', dashboardId);
    expect(shown.stdout).toMatch(/status\s+errors/);
    expect(shown.stdout).toMatch(/schedule\s+every 15 min/);

    const listed = json(await cli('connection', 'list', '--dashboard', dashboardId, '--json')) as {
      id: string;
    }[];
    expect(listed.map((c) => c.id)).toEqual([created.id]);
    expect((await cli('connection', 'remove', created.id, '--dashboard', dashboardId)).code).toBe(0);
    const again = await cli('connection', 'remove', created.id, '--dashboard', dashboardId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no storage connection/);
  }, 60_000);

  it('refuses an unknown provider and unreadable credentials without a stack trace', async () => {
    const provider = await cli('connection', 'add', 'ftp', '--dashboard', dashboardId);
    expect(provider.code).toBe(1);
    expect(provider.stderr).toMatch(/provider must be one of s3, .*got 'ftp'/);
    const missing = await cli(
      'connection',
      'add',
      's3',
      '--bucket',
      'b',
      '--credentials-file',
      join(dir, 'nope.json'),
      '--dashboard',
      dashboardId,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read credentials from .*nope\.json/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('sets notifications and PlayFab level statistics as the admin API does', async () => {
    const set = json(
      await cli(
        'notifications',
        'set',
        '--url',
        'https://hooks.example.com/tf',
        '--dashboard',
        dashboardId,
        '--json',
      ),
    );
    expect(set).toEqual({
      webhook_url: 'https://hooks.example.com/tf',
      secret: expect.stringMatching(/^whsec_/),
    });
    expect(json(await cli('notifications', 'show', '--dashboard', dashboardId, '--json'))).toEqual({
      webhook_url: 'https://hooks.example.com/tf',
    });
    const rotated = await cli('notifications', 'rotate-secret', '--dashboard', dashboardId);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^Signing secret: whsec_\S+\nIt is shown only now/);
    expect(rotated.stdout).not.toContain((set as { secret: string }).secret);
    const bad = await cli('notifications', 'set', '--url', 'ftp://x', '--dashboard', dashboardId);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/webhook_url must be an absolute http/);
    expect(json(await cli('notifications', 'set', '--clear', '--dashboard', dashboardId, '--json'))).toEqual({
      webhook_url: null,
    });
    const none = await cli('notifications', 'rotate-secret', '--dashboard', dashboardId);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`traitforge: dashboard ${dashboardId} has no notification webhook\n`);

    const levels = json(
      await cli('playfab', 'levels', '--set', 'Level, XPLevel', '--dashboard', dashboardId, '--json'),
    );
    expect(levels).toEqual({ dashboard_id: dashboardId, level_statistics: ['Level', 'XPLevel'] });
    expect((await cli('playfab', 'levels', '--dashboard', dashboardId)).stdout).toBe(
      'Level statistics: Level, XPLevel\n',
    );
  }, 60_000);
});
