import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/services.js';
import { insertTraitScores, surveyedPlayers } from '../personas/factory.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { takeSurvey } from '../survey/survey-driver.js';
import { multipartCsv } from './multipart.js';

/** Distinctive enough that any occurrence in the file is this player's data. */
const VICTIM = 'zq-erasure-7f3a9c51';
const DATABASE_FILE = 'traitforge.sqlite';

/** How often the id occurs in the database file and its WAL (as stored: UTF-8). */
function occurrences(dataDir: string): { database: number; wal: number } {
  const count = (file: string) => {
    if (!existsSync(file)) return 0;
    const bytes = readFileSync(file);
    const needle = Buffer.from(VICTIM);
    let n = 0;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) n++;
    return n;
  };
  const base = join(dataDir, DATABASE_FILE);
  return { database: count(base), wal: count(`${base}-wal`) };
}

// SQLite only: PostgreSQL's storage is the server's (see docs/api.md, "What deletion erases").
describe('DELETE /v1/userData leaves no copy of the player in the SQLite files', () => {
  let t: TestApp;
  let dash: TestDashboard;

  beforeAll(async () => {
    t = await createTestApp('sqlite', { surveyMinMsPerItem: 0 });
    dash = await t.createDashboard('Erasure game');
    const key = dash.keys.production;
    // Enough rows that whole pages are freed, not only cells: pushed events, raw CSV lines
    // (stored upload pieces, deleted once ingested), survey answers, trait scores.
    const actions = Array.from({ length: 400 }, (_, i) => ({
      timestamp: '2026-01-01 10:00:00',
      user_id: VICTIM,
      action_id: String(i),
      action_name: `quest-${VICTIM}`,
    }));
    const pushed = await t.call('POST', '/v1/actions', key, { actions });
    expect(pushed.statusCode).toBe(201);
    const csv = `user_id,kpi_id,value\n${Array.from({ length: 300 }, (_, i) => `${VICTIM},k${i},${i}`).join('\n')}\n`;
    const uploaded = await t.app.inject({
      method: 'POST',
      url: '/v1/kpis/csv',
      ...multipartCsv(csv, { authorization: `Bearer ${key}` }),
    });
    expect(uploaded.statusCode).toBe(201);
    await buildServices(t.config, t.store).jobs.runOnce();
    await insertTraitScores(t.store.db, dash.id, 'production', [
      { userId: VICTIM, scores: surveyedPlayers(1, 1, 'x')[0]!.scores },
    ]);
    const registered = await t.call('POST', '/v1/assessment/user/register', key, { id: VICTIM });
    await takeSurvey(t.app, registered.json<{ data: { token: string } }>().data.token, { pages: 2 });
    const bystander = await t.call('POST', '/v1/actions', key, {
      actions: [{ timestamp: '2026-01-01 10:00:00', user_id: 'bystander', action_id: '1', action_name: 'a' }],
    });
    expect(bystander.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.database.drop();
  });

  it('has the id in the files before the deletion (the test can see it)', () => {
    const before = occurrences(t.database.dataDir);
    expect(before.database + before.wal).toBeGreaterThan(100);
  });

  it('zeroes the deleted rows and empties the WAL at the deletion, and after a clean stop', async () => {
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: VICTIM });
    expect(res.json<{ data: { deleted: number } }>().data.deleted).toBeGreaterThan(700);
    // At once: the deletion checkpoints the WAL into the database file and truncates it.
    expect(occurrences(t.database.dataDir)).toEqual({ database: 0, wal: 0 });
    await t.app.close();
    await t.store.close();
    expect(occurrences(t.database.dataDir)).toEqual({ database: 0, wal: 0 });
    // The bystander's data is still there.
    const bytes = readFileSync(join(t.database.dataDir, DATABASE_FILE));
    expect(bytes.includes(Buffer.from('bystander'))).toBe(true);
  });
});
