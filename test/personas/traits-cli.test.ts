import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { TRAIT_COORDINATES } from '../../src/survey/trait-catalogue.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { json, run } from '../support/cli-process.js';
import { ensureBuilt } from '../support/server-process.js';
import { insertTraitScores, surveyedPlayers } from './factory.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('traits import on %s', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let dashboardId: string;
  const dir = mkdtempSync(join(tmpdir(), 'traits-import-'));
  const cli = (...args: string[]) =>
    run(args, { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });
  const scoresOf = async (userId: string) =>
    store.db
      .selectFrom('trait_scores')
      .select(['scores', 'source'])
      .where('dashboard_id', '=', dashboardId)
      .where('user_id', '=', userId)
      .executeTakeFirst();

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = db.openStore();
    await store.migrate();
    dashboardId = (json(await cli('dashboard', 'create', 'Vendor move', '--json')) as { id: string }).id;
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('NDJSON and CSV files: every player imported; a surveyed player keeps the survey', async () => {
    const players = surveyedPlayers(2, 3, 'nd', 1);
    const ndjson = join(dir, 'scores.ndjson');
    writeFileSync(
      ndjson,
      players.map((p) => JSON.stringify({ user_id: p.userId, traits: p.scores })).join('\n'),
    );
    expect(
      json(
        await cli(
          'traits',
          'import',
          ndjson,
          '--dashboard',
          dashboardId,
          '--environment',
          'production',
          '--json',
        ),
      ),
    ).toEqual({ imported: 6, kept_survey: 0 });
    expect(await scoresOf('nd-1-2')).toEqual({
      scores: JSON.stringify(players[5]!.scores),
      source: 'imported',
    });

    const surveyed = surveyedPlayers(1, 1, 'sv', 2);
    await insertTraitScores(store.db, dashboardId, 'production', surveyed);
    const csvPlayers = [...surveyedPlayers(1, 2, 'csv, "quoted"', 3), ...surveyed];
    const header = ['user_id', ...TRAIT_COORDINATES.map(([c, t]) => `${c}.${t}`)];
    const cell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const rows = csvPlayers.map((p) =>
      [
        cell(p.userId),
        ...TRAIT_COORDINATES.map(([c, t]) =>
          String((p.scores as Record<string, Record<string, number>>)[c]![t]),
        ),
      ].join(','),
    );
    const csv = join(dir, 'scores.csv');
    writeFileSync(csv, [header.join(','), ...rows].join('\r\n'));
    const text = await cli('traits', 'import', csv, '--dashboard', dashboardId);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      "Imported the trait scores of 2 players (1 kept their completed survey's scores)\n",
    );
    expect((await scoresOf('csv, "quoted"-0-1'))?.source).toBe('imported');
    expect((await scoresOf(surveyed[0]!.userId))?.source).toBe('survey');
  });

  it('a file with mistakes imports nothing and lists each by line', async () => {
    const [a, b] = surveyedPlayers(1, 2, 'mistake', 4);
    const broken = structuredClone(b!.scores) as Record<string, Record<string, unknown>>;
    broken.agreeableness!.Trust = 250;
    const file = join(dir, 'broken.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ user_id: a!.userId, traits: a!.scores }),
        '{"user_id": "x", ',
        JSON.stringify({ user_id: b!.userId, traits: broken }),
        JSON.stringify({ user_id: a!.userId, traits: a!.scores }),
      ].join('\n'),
    );
    const result = await cli('traits', 'import', file, '--dashboard', dashboardId);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^line 2: is not JSON/m);
    expect(result.stdout).toMatch(/^line 3: traits\.agreeableness\.Trust must be a number from 0 to 100$/m);
    expect(result.stdout).toMatch(/^line 4: user_id repeats the user id of line 1$/m);
    expect(result.stderr).toMatch(/3 mistakes in .*broken\.jsonl; nothing was imported/);
    expect(await scoresOf(a!.userId)).toBeUndefined();
    const missing = await cli('traits', 'import', join(dir, 'nope.csv'), '--dashboard', dashboardId);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  });
});
