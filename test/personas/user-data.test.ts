import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { Metrics } from '../../src/http/plugins/metrics.js';
import { IngestService } from '../../src/ingest/ingest.service.js';
import { PersonaRepository } from '../../src/personas/personas.repository.js';
import { NOT_PLAYER_DATA, PLAYER_DATA_TABLES } from '../../src/privacy/player-data-tables.js';
import type { Backend } from '../../src/store/store.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { takeSurvey } from '../survey/survey-driver.js';
import { insertTraitScores, surveyedPlayers } from './factory.js';
import { storage } from '../support/storage.js';
import { sqlEventStore } from '../../src/events/sql/sql-event-store.js';
import { EVENT_PLAYER_TABLES } from '../../src/events/sql/delete-player.js';

type Row = Record<string, unknown>;
type Env = 'production' | 'sandbox';

/** Every table of the database with its columns, from the catalog: tables added later included. */
async function catalog(db: Kysely<unknown>, backend: Backend): Promise<Map<string, Set<string>>> {
  const rows =
    backend === 'sqlite'
      ? await sql<{ table_name: string; column_name: string }>`
          select m.name as table_name, p.name as column_name
          from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table' and m.name not like 'sqlite_%'`.execute(db)
      : await sql<{ table_name: string; column_name: string }>`
          select table_name, column_name from information_schema.columns
          where table_schema = current_schema()`.execute(db);
  const tables = new Map<string, Set<string>>();
  for (const { table_name, column_name } of rows.rows) {
    const columns = tables.get(table_name) ?? new Set<string>();
    columns.add(column_name);
    tables.set(table_name, columns);
  }
  return tables;
}

/**
 * Rows of every table that belong to the user in the scope: by `user_id`, or by the interned
 * `player_id` in tables that carry a `dashboard_id` (the Forge tables' player_id is a Forge account).
 */
async function rowsOfUser(
  db: Kysely<unknown>,
  backend: Backend,
  scope: { dashboardId: string; environment: Env },
  userId: string,
  playerId: number | undefined,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const [table, columns] of await catalog(db, backend)) {
    const conditions = [];
    if (columns.has('user_id')) conditions.push(sql`user_id = ${userId}`);
    else if (columns.has('player_id') && columns.has('dashboard_id') && playerId !== undefined)
      conditions.push(sql`player_id = ${playerId}`);
    else continue;
    if (columns.has('dashboard_id')) conditions.push(sql`dashboard_id = ${scope.dashboardId}`);
    if (columns.has('environment')) conditions.push(sql`environment = ${scope.environment}`);
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from ${sql.table(table)} where ${sql.join(conditions, sql` and `)}`.execute(db);
    counts.set(table, rows[0]!.n);
  }
  return counts;
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe.each(BACKENDS)('DELETE /v1/userData on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  const db = () => t.store.db as unknown as Kysely<unknown>;

  const push = async (key: string, path: string, bodyKey: string, records: Row[], headers = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { authorization: `Bearer ${key}`, ...headers },
      payload: { [bodyKey]: records },
    });
    if (res.statusCode !== 201) throw new Error(`${path}: ${res.body}`);
  };
  const ts = (day: number) => `2026-01-0${day} 10:00:00`;

  /** Every kind of record a player can have, for one user in one dashboard and environment. */
  async function populate(d: TestDashboard, environment: Env, userId: string): Promise<void> {
    const key = d.keys[environment];
    await push(key, '/v1/logins', 'users', [
      { timestamp: ts(1), user_id: userId, country: 'US', level: 3 },
      { timestamp: ts(2), user_id: userId, country: 'US', level: 4 },
    ]);
    await push(
      key,
      '/v1/actions',
      'actions',
      [{ timestamp: ts(1), user_id: userId, action_id: '1', action_name: 'a' }],
      {
        'idempotency-key': `act-${userId}-${environment}`,
      },
    );
    await push(key, '/v1/purchases', 'purchases', [
      { timestamp: ts(1), user_id: userId, item_id: 'i', count: 1, price: 2.5 },
    ]);
    await push(key, '/v1/virtual-purchases', 'virtual_purchases', [
      { timestamp: ts(1), user_id: userId, item_id: 'i', count: 1, virtual_price: 5, currency: 'gold' },
    ]);
    await push(key, '/v1/level-ups', 'level_ups', [{ timestamp: ts(1), user_id: userId, level: 4 }]);
    await push(key, '/v1/social-dynamics', 'social_dynamics', [
      { timestamp: ts(1), user_id: userId, target_user_id: 'x', interaction: 'gift_sent' },
    ]);
    await push(key, '/v1/items', 'items', [{ item_id: 'i', price: 1, currency: 'USD', name: 'Axe' }]);
    // The file channels (CSV, buckets, PlayFab) record a dedupe key per record.
    const ingest = new IngestService(sqlEventStore(t.store), 1000, new Metrics());
    const principal = { dashboardId: d.id, environment, keyId: 'k' };
    await ingest.ingestValid({
      principal,
      def: FILE_RECORD_TYPE_DEFS.kpis,
      records: [{ timestamp: ts(3), user_id: userId, kpi_id: 'ltv', value: 3 }],
      dedupeSource: 'file:test',
      dedupeKeys: [`kpi-${userId}`],
    });
    await ingest.ingestValid({
      principal,
      def: FILE_RECORD_TYPE_DEFS.survey_answers,
      records: [{ user_id: userId, question_id: 'q1', value: '4' }],
      dedupeSource: 'file:test',
      dedupeKeys: [`answer-${userId}`],
    });
    await insertTraitScores(t.store.db, d.id, environment, [
      { userId, scores: surveyedPlayers(1, 1, 'x', userId.length)[0]!.scores },
    ]);
    // The survey: registered (a link token) with its first page answered (a partial survey).
    const registered = await t.call('POST', '/v1/assessment/user/register', key, { id: userId });
    const token = registered.json<{ data: { token: string } }>().data.token;
    await takeSurvey(t.app, token, { pages: 1 });
  }

  const playerId = async (d: TestDashboard, environment: Env, userId: string) =>
    (
      await storage(t.store)
        .selectFrom('players')
        .select('id')
        .where('dashboard_id', '=', d.id)
        .where('environment', '=', environment)
        .where('user_id', '=', userId)
        .executeTakeFirst()
    )?.id;

  /** daily_counts per type must equal the rows stored per type: the rollup stays right. */
  async function expectRollupsConsistent(d: TestDashboard, environment: Env): Promise<void> {
    for (const { dailyCounts, table } of EVENT_PLAYER_TABLES) {
      if (!dailyCounts) continue;
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}
        where dashboard_id = ${d.id} and environment = ${environment}`.execute(db());
      const counted = await storage(t.store)
        .selectFrom('daily_counts')
        .select((eb) => eb.fn.sum<number | string>('count').as('n'))
        .where('dashboard_id', '=', d.id)
        .where('environment', '=', environment)
        .where('record_type', '=', dailyCounts)
        .executeTakeFirst();
      expect([table, Number(counted?.n ?? 0)]).toEqual([table, rows[0]!.n]);
    }
  }

  beforeAll(async () => {
    t = await createTestApp(backend, { surveyMinMsPerItem: 0 });
    dash = await t.createDashboard('Deletion game');
    other = await t.createDashboard('Other game');
    // The victim, a bystander in the same scope, and the same user id elsewhere.
    for (const userId of ['victim', 'bystander']) await populate(dash, 'production', userId);
    await populate(dash, 'sandbox', 'victim');
    await populate(other, 'production', 'victim');
    await insertTraitScores(t.store.db, dash.id, 'production', surveyedPlayers(2, 10, 'crowd'));
    await t.admin('POST', `/dashboards/${dash.id}/segments`, { name: 'US', filter: { country: 'US' } });
    const res = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute`);
    expect(res.statusCode).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the registry names every table that holds a player (a new table must be added to it)', async () => {
    // The control plane's registry and the event store's own list, together.
    const registered = new Set([...PLAYER_DATA_TABLES, ...EVENT_PLAYER_TABLES].map((e) => e.table));
    for (const [table, columns] of await catalog(db(), backend)) {
      const holdsPlayers =
        columns.has('user_id') || (columns.has('player_id') && columns.has('dashboard_id'));
      if (!holdsPlayers || NOT_PLAYER_DATA.has(table)) continue;
      expect([table, registered.has(table)]).toEqual([table, true]);
    }
    const entries: readonly { table: string; key: string; textColumns?: readonly string[] }[] = [
      ...PLAYER_DATA_TABLES,
      ...EVENT_PLAYER_TABLES,
    ];
    for (const { table, key, textColumns } of entries) {
      const columns = (await catalog(db(), backend)).get(table);
      for (const column of key === 'excerpt' ? (textColumns ?? []) : [key])
        expect([table, column, columns?.has(column)]).toEqual([table, column, true]);
    }
  });

  it('removes every record of the player in the scope, in every table, and answers the count', async () => {
    const scope = { dashboardId: dash.id, environment: 'production' as const };
    const id = await playerId(dash, 'production', 'victim');
    const before = await rowsOfUser(db(), backend, scope, 'victim', id);
    // 9 events (2 logins, 5 other pushed types, a KPI and a survey answer), the profile, 2 dedupe
    // keys, the scores, 2 persona memberships (default, US), and the survey: the participant, a
    // link token and the first page's answers.
    const answers = before.get('survey_responses')!;
    expect(answers).toBeGreaterThan(0);
    expect([before.get('survey_participants'), before.get('survey_tokens')]).toEqual([1, 1]);
    expect(total(before)).toBe(17 + answers);
    expect(before.get('persona_members')).toBe(2);
    expect(before.get('ingest_dedupe')).toBe(2);
    const bystanderBefore = await rowsOfUser(
      db(),
      backend,
      scope,
      'bystander',
      await playerId(dash, 'production', 'bystander'),
    );
    const sandboxBefore = await rowsOfUser(
      db(),
      backend,
      { dashboardId: dash.id, environment: 'sandbox' },
      'victim',
      await playerId(dash, 'sandbox', 'victim'),
    );
    await expectRollupsConsistent(dash, 'production');

    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'victim' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      code: 200,
      message: 'user data has been deleted',
      data: { deleted: 17 + answers, pending: false },
    });

    const after = await rowsOfUser(db(), backend, scope, 'victim', id);
    expect([...after.entries()].filter(([, n]) => n > 0)).toEqual([]);
    await expectRollupsConsistent(dash, 'production');
    // Nobody else lost anything: the bystander, the same user id in the sandbox and in another dashboard.
    expect(
      await rowsOfUser(db(), backend, scope, 'bystander', await playerId(dash, 'production', 'bystander')),
    ).toEqual(bystanderBefore);
    expect(
      await rowsOfUser(
        db(),
        backend,
        { dashboardId: dash.id, environment: 'sandbox' },
        'victim',
        await playerId(dash, 'sandbox', 'victim'),
      ),
    ).toEqual(sandboxBefore);
    const elsewhere = await rowsOfUser(
      db(),
      backend,
      { dashboardId: other.id, environment: 'production' },
      'victim',
      await playerId(other, 'production', 'victim'),
    );
    expect(total(elsewhere)).toBe(15 + answers);
    // Items are the game's catalogue, not the player's.
    const items = await storage(t.store)
      .selectFrom('items')
      .select('item_id')
      .where('dashboard_id', '=', dash.id)
      .execute();
    expect(items.length).toBeGreaterThan(0);
  });

  it('deleting again is harmless: 0 records', async () => {
    const res = await t.call('DELETE', '/v1/userData', dash.keys.production, { id: 'victim' });
    expect(res.json()).toEqual({
      code: 200,
      message: 'no data of this user was stored',
      data: { deleted: 0, pending: false },
    });
  });

  it('later recomputes no longer include the player', async () => {
    const res = await t.admin('POST', `/dashboards/${dash.id}/personas/recompute?environment=production`);
    const segments = res.json<{ environments: { segments: { players: number; surveyed: number }[] }[] }>()
      .environments[0]!.segments;
    expect(segments[0]).toMatchObject({ players: 21, surveyed: 21 });
    const ids = await t.call('GET', '/v1/segments/default/personas/all/user-ids', dash.keys.production);
    expect(ids.json<{ data: { ids: string[] } }>().data.ids).not.toContain('victim');
    expect(ids.json<{ data: { ids: string[] } }>().data.ids).toContain('bystander');
  });

  it('a recompute that read the data before a deletion does not write the player back', async () => {
    const repo = new PersonaRepository(t.store);
    const events = sqlEventStore(t.store);
    const known = async () =>
      new Set(await events.segmentMembers({ dashboardId: dash.id, environment: 'production' }, {}));
    const member = (userId: string) => ({
      userId,
      persona: 1,
      source: 'predicted' as const,
      probabilities: null,
    });
    const write = (startedAt: number) => ({
      personas: [],
      members: [member('victim'), member('bystander')],
      summary: {},
      lastNumber: 1,
      startedAt,
    });
    const ids = async () =>
      (
        await t.store.db
          .selectFrom('persona_members')
          .select('user_id')
          .where('dashboard_id', '=', dash.id)
          .where('environment', '=', 'production')
          .where('segment_id', '=', 'race')
          .orderBy('user_id')
          .execute()
      ).map((r) => r.user_id);
    // Started before the deletion: the deleted player is dropped, the others stay.
    await repo.replace(dash.id, 'production', 'race', write(0), known);
    expect(await ids()).toEqual(['bystander']);
    // Started after it: nothing to check (the data read no longer held the player).
    await repo.replace(dash.id, 'production', 'race', write(Date.now() + 60_000), known);
    expect(await ids()).toEqual(['bystander', 'victim']);
    await t.store.db.deleteFrom('persona_members').where('segment_id', '=', 'race').execute();
    await t.store.db.deleteFrom('persona_runs').where('segment_id', '=', 'race').execute();
  });

  it('400 without an id, 401 without a key', async () => {
    const missing = await t.call('DELETE', '/v1/userData', dash.keys.production, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ code: 400, message: 'body id is required', data: null });
    expect((await t.call('DELETE', '/v1/userData', undefined, { id: 'bystander' })).statusCode).toBe(401);
  });
});
