import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { REDACTED_SAMPLE } from '../../src/ingest/recent-batches.js';
import { playerHash } from '../../src/privacy/player-hash.js';
import { buildServices, type Services } from '../../src/services.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { multipartCsv } from './multipart.js';
import { eventTables, storage } from '../support/storage.js';
import { batchWriter } from '../../src/events/sql/sql-event-store.js';

const action = (userId: string, name = 'play') => ({
  timestamp: '2026-01-01 10:00:00',
  user_id: userId,
  action_id: '1',
  action_name: name,
});

describe.each(BACKENDS)(
  'records that entered before a deletion are never stored after it, on %s',
  (backend) => {
    let t: TestApp;
    let dash: TestDashboard;
    /** A second set of services on the same database: runs jobs, syncs, and holds its own live tail. */
    let services: Services;
    const dirs: string[] = [];
    const key = () => dash.keys.production;
    const deletePlayer = async (id: string) => {
      const res = await t.call('DELETE', '/v1/userData', key(), { id });
      expect(res.statusCode).toBe(200);
      return res.json<{ data: { deleted: number } }>().data.deleted;
    };
    /** The player's stored records of the type, through the admin API (user id filter). */
    const stored = async (type: string, userId: string) =>
      (await t.admin('GET', `/dashboards/${dash.id}/records/${type}?user_id=${userId}`)).json<unknown[]>()
        .length;
    const playerRow = (userId: string) =>
      storage(t.store)
        .selectFrom('players')
        .select('id')
        .where('dashboard_id', '=', dash.id)
        .where('user_id', '=', userId)
        .executeTakeFirst();

    beforeAll(async () => {
      t = await createTestApp(backend);
      dash = await t.createDashboard('Deleted players game');
      services = buildServices(t.config, t.store, { jobWorker: { baseBackoffMs: 1 } });
    });
    afterAll(async () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      await t.close();
    });

    it('a CSV upload accepted before the deletion and ingested after it stores the others only', async () => {
      const csv = 'user_id,kpi_id,value\ncsv-victim,ltv,3\ncsv-bystander,ltv,4\ncsv-victim,arpu,1\n';
      const upload = await t.app.inject({
        method: 'POST',
        url: '/v1/kpis/csv',
        ...multipartCsv(csv, { authorization: `Bearer ${key()}` }),
      });
      expect(upload.statusCode).toBe(201);
      // Nothing of the player is stored yet: the deletion still leaves its marker.
      expect(await deletePlayer('csv-victim')).toBe(0);
      await services.jobs.runOnce();
      const id = upload.json<{ data: { ingestion_id: string } }>().data.ingestion_id;
      const status = (await t.call('GET', `/v1/ingestions/${id}`, key())).json<{
        data: { status: string; rows_accepted: number; rows_rejected: number };
      }>().data;
      expect(status).toMatchObject({ status: 'succeeded', rows_accepted: 1, rows_rejected: 0 });
      expect(await stored('kpis', 'csv-bystander')).toBe(1);
      expect(await stored('kpis', 'csv-victim')).toBe(0);
      expect(await playerRow('csv-victim')).toBeUndefined();
      // The deletion marker names the player by a hash only.
      const markers = await storage(t.store).selectFrom('deleted_players').selectAll().execute();
      expect(markers.map((m) => m.user_hash)).toContain(playerHash('csv-victim'));
      expect(JSON.stringify(markers)).not.toContain('csv-victim');
    });

    it('a player who comes back with a new push after the deletion is stored again', async () => {
      const res = await t.call('POST', '/v1/actions', key(), { actions: [action('csv-victim', 'returned')] });
      expect(res.statusCode).toBe(201);
      expect(await stored('actions', 'csv-victim')).toBe(1);
    });

    it('a bucket file last written before the deletion does not bring the player back; a newer file does', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'traitforge-deleted-'));
      dirs.push(dir);
      mkdirSync(join(dir, 'actions'));
      const old = join(dir, 'actions', 'old.ndjson');
      writeFileSync(
        old,
        [action('file-victim'), action('file-bystander'), action('file-victim')]
          .map((a) => JSON.stringify(a))
          .join('\n'),
      );
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(old, past, past);
      // The player had data before (a push); the deletion removes it.
      await t.call('POST', '/v1/actions', key(), { actions: [action('file-victim')] });
      expect(await deletePlayer('file-victim')).toBeGreaterThan(0);

      const created = await t.admin('POST', `/dashboards/${dash.id}/storage-connections`, {
        provider: 'local',
        path: dir,
      });
      const connection = created.json<{ id: string }>().id;
      const sync = async () =>
        (await t.admin('POST', `/dashboards/${dash.id}/storage-connections/${connection}/sync`)).json<{
          files_ingested: number;
          records_withheld: number;
        }>();
      expect(await sync()).toMatchObject({ files_ingested: 1, records_withheld: 2 });
      expect(await stored('actions', 'file-bystander')).toBe(1);
      expect(await stored('actions', 'file-victim')).toBe(0);
      expect(await playerRow('file-victim')).toBeUndefined();

      // Written after the deletion: the player is back on purpose.
      const fresh = join(dir, 'actions', 'new.ndjson');
      writeFileSync(fresh, JSON.stringify(action('file-victim', 'new-season')));
      const later = new Date(Date.now() + 1000);
      utimesSync(fresh, later, later);
      expect(await sync()).toMatchObject({ files_ingested: 1, records_withheld: 0 });
      expect(await stored('actions', 'file-victim')).toBe(1);
    });

    it('a PlayFab event redelivered after the deletion is not stored again; a newer event is', async () => {
      const event = (eventId: string, timestamp: string) => ({
        EventName: 'level_cleared',
        EventNamespace: 'title.ABC',
        EntityType: 'player',
        EntityId: 'pf-victim',
        EventId: eventId,
        Timestamp: timestamp,
        TitleId: 'ABC',
      });
      const deliver = async (body: unknown) => {
        const res = await t.app.inject({
          method: 'POST',
          url: `/v1/playfab?api_key=${key()}`,
          payload: body as object,
        });
        expect(res.statusCode).toBe(200);
        return res.json<{ data: { ingested: number } }>().data.ingested;
      };
      const before = new Date(Date.now() - 60_000).toISOString().replace('Z', '0000Z');
      expect(await deliver(event('pf-1', before))).toBe(1);
      expect(await deletePlayer('pf-victim')).toBeGreaterThan(0);
      // PlayFab retries the same event (its dedupe key went with the player's data).
      expect(await deliver(event('pf-1', before))).toBe(0);
      expect(await playerRow('pf-victim')).toBeUndefined();
      const after = new Date(Date.now() + 1000).toISOString();
      expect(await deliver([event('pf-2', after)])).toBe(1);
      expect(await stored('actions', 'pf-victim')).toBe(1);
    });

    it('a batch in flight when the deletion starts commits before it or is withheld, never after it', async () => {
      const enteredAt = Date.now() - 1000;
      let pending: Promise<{ written: number; withheld: number }> | undefined;
      let settled = false;
      await storage(t.store)
        .transaction()
        .execute(async (trx) => {
          // What the event store's deletion does first, on this test's own transaction.
          await batchWriter(t.store, eventTables(t.store)).excludeWriters(eventTables(trx), {
            dashboardId: dash.id,
            environment: 'production',
          });
          pending = services.ingest.ingestValid({
            principal: { dashboardId: dash.id, environment: 'production', keyId: 'k' },
            def: RECORD_TYPE_DEFS.actions,
            records: [action('race-victim'), action('race-bystander')],
            entered: { at: enteredAt },
          });
          void pending.then(() => (settled = true));
          await new Promise((resolve) => setTimeout(resolve, 150));
          // The write waits for the deletion's transaction.
          expect(settled).toBe(false);
          await trx
            .insertInto('deleted_players')
            .values({
              dashboard_id: dash.id,
              environment: 'production',
              user_hash: playerHash('race-victim'),
              deleted_at: Date.now(),
            })
            .execute();
        });
      expect(await pending).toMatchObject({ written: 1, withheld: 1 });
      expect(await playerRow('race-victim')).toBeUndefined();
      expect(await stored('actions', 'race-bystander')).toBe(1);
    });

    it('the reject log loses the refused bodies that quote the player; the live tail its samples', async () => {
      const refuse = (userId: string) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/actions',
          headers: { authorization: `Bearer ${key()}`, 'content-type': 'application/json' },
          payload: `{"actions": [{"user_id": "${userId}", oops}]}`,
        });
      expect((await refuse('log-victim')).statusCode).toBe(400);
      expect((await refuse('log-bystander')).statusCode).toBe(400);
      const rejects = async () =>
        (await services.rejects.list(dash.id, 'production')).map((r) => r.message).join('\n');
      // The reject log is written off the answer's path.
      await expect.poll(rejects).toMatch(/log-victim/);
      await expect.poll(rejects).toMatch(/log-bystander/);

      const principal = { dashboardId: dash.id, environment: 'production' as const, keyId: 'k' };
      await services.ingest.ingestValid({
        principal,
        def: RECORD_TYPE_DEFS.actions,
        records: [action('log-victim')],
      });
      await services.ingest.ingestValid({
        principal,
        def: RECORD_TYPE_DEFS.actions,
        records: [action('log-bystander')],
      });
      const tail = () => services.recentBatches.list(dash.id, 'production').map((b) => b.sample);
      expect(tail().some((s) => s.includes('log-victim'))).toBe(true);

      await services.userData.deletePlayer(dash.id, 'production', 'log-victim');
      expect(await rejects()).not.toMatch(/log-victim/);
      expect(await rejects()).toMatch(/log-bystander/);
      expect(tail().some((s) => s.includes('log-victim'))).toBe(false);
      expect(tail()).toContain(REDACTED_SAMPLE);
      expect(tail().some((s) => s.includes('log-bystander'))).toBe(true);
    });
  },
);
