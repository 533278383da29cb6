import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { expectUsageError, json, run } from '../support/cli-process.js';
import { ensureBuilt } from '../support/server-process.js';
import { correlatedPlayers, insertTraitScores, surveyedPlayers } from './factory.js';
import { storage } from '../support/storage.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('segment and persona commands on %s', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let dashboardId: string;
  const cli = (...args: string[]) =>
    run(args, { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = db.openStore();
    await store.migrate();
    dashboardId = (json(await cli('dashboard', 'create', 'CLI game', '--json')) as { id: string }).id;
    await insertTraitScores(store.db, dashboardId, 'production', surveyedPlayers(2, 20, 'c'));
    await storage(store)
      .insertInto('players')
      .values({
        dashboard_id: dashboardId,
        environment: 'production',
        user_id: 'c-0-1',
        first_seen_at: 1,
        country: 'US',
      })
      .execute();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('segment create, list and delete mirror the admin API', async () => {
    const created = json(
      await cli(
        'segment',
        'create',
        'US players',
        '--dashboard',
        dashboardId,
        '--filter',
        '{"country":"US"}',
        '--json',
      ),
    ) as { id: string };
    expect(created).toEqual({
      id: expect.stringMatching(/^seg_/),
      name: 'US players',
      filter: { country: 'US' },
    });
    expect(json(await cli('segment', 'list', '--dashboard', dashboardId, '--json'))).toEqual([
      { id: 'default', name: 'default', filter: {} },
      created,
    ]);
    const text = await cli('segment', 'list', '--dashboard', dashboardId);
    expect(text.stdout).toMatch(/^ID\s+NAME\s+FILTER\n/);
    const recomputed = json(
      await cli('persona', 'recompute', '--dashboard', dashboardId, '--environment', 'production', '--json'),
    ) as { environments: { segments: { segment_id: string; k: number; players: number }[] }[] };
    expect(recomputed.environments[0]!.segments.map((s) => [s.segment_id, s.k, s.players])).toEqual([
      ['default', 2, 40],
      [created.id, 1, 1],
    ]);
    expect(json(await cli('segment', 'delete', created.id, '--dashboard', dashboardId, '--json'))).toEqual({
      id: created.id,
      deleted: true,
    });
    const again = await cli('segment', 'delete', created.id, '--dashboard', dashboardId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/segment seg_\w+ does not exist/);
  }, 120_000);

  it('refuses a bad filter as a usage error', async () => {
    expectUsageError(
      await cli('segment', 'create', 'x', '--dashboard', dashboardId, '--filter', 'nope'),
      /--filter must be a JSON object/,
    );
    expectUsageError(
      await cli('segment', 'create', 'x', '--dashboard', dashboardId, '--filter', '{"colour":"red"}'),
      /filter/,
    );
  });

  it('persona recompute prints a table and the verdict; persona player and user-data delete', async () => {
    const table = await cli('persona', 'recompute', '--dashboard', dashboardId);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /ENVIRONMENT\s+SEGMENT\s+PLAYERS\s+SURVEYED\s+K\s+PERSONA:SIZE\s+ACCURACY\s+BASELINE/,
    );
    expect(table.stdout).toMatch(/production\s+default\s+40\s+40\s+2\s+1:20 2:20/);
    expect(table.stdout).toMatch(/^production default: 2 distinct personas \(BIC; null check /m);
    expect(table.stdout).toMatch(/^sandbox default: no personas \(no surveyed player\)$/m);
    const flat = (json(await cli('dashboard', 'create', 'Flat game', '--json')) as { id: string }).id;
    await insertTraitScores(store.db, flat, 'production', correlatedPlayers(30, { seed: 2 }));
    const verdict = await cli('persona', 'recompute', '--dashboard', flat, '--environment', 'production');
    expect(verdict.stdout).toMatch(
      /^production default: no distinct personas in this segment \(one persona: /m,
    );
    const player = json(await cli('persona', 'player', 'c-1-2', '--dashboard', dashboardId, '--json'));
    expect(player).toMatchObject({
      user_id: 'c-1-2',
      surveyed: true,
      personas: [{ segment_id: 'default', source: 'surveyed', probabilities: expect.any(Object) }],
    });
    expect(json(await cli('user-data', 'delete', 'c-1-2', '--dashboard', dashboardId, '--json'))).toEqual({
      deleted: 2,
    });
    const gone = await cli('persona', 'player', 'c-1-2', '--dashboard', dashboardId);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/has no player c-1-2 in production/);
  }, 120_000);
});
