import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventScope, EventStore, WriteBatch } from '../../src/events/event-store.js';
import { FILE_RECORD_TYPE_DEFS, RECORD_TYPE_DEFS, type RecordTypeDef } from '../../src/domain/records.js';
import { checkRecords } from '../../src/ingest/check-records.js';

/** A fresh, empty event store of one backend (its own database), and how to drop it. */
export interface EventStoreFixture {
  events: EventStore;
  close(): Promise<void>;
}

const DAY = 86_400_000;
/** Arrival days of the suite: fixed, so daily counts are exact. */
const DAY1 = Date.UTC(2026, 2, 1, 12);
const DAY2 = DAY1 + DAY;

let scopes = 0;
/** Every test writes in a scope of its own: no test sees another's data. */
function freshScope(): EventScope {
  scopes++;
  return { dashboardId: `contract-${scopes}-${Date.now().toString(36)}`, environment: 'production' };
}

/** A batch from records as a studio sends them (validated and normalized as ingestion does). */
function batchOf(
  scope: EventScope,
  def: RecordTypeDef,
  records: readonly Record<string, unknown>[],
  receivedAt: number,
  extra: Partial<WriteBatch> = {},
): WriteBatch {
  const { rows, errors } = checkRecords(def, records, receivedAt);
  expect(errors).toEqual([]);
  return { ...scope, def, rows: rows.map((r) => r.row), receivedAt, ...extra };
}

const at = (day: number, hour: number) => Math.floor((day + hour * 3_600_000) / 1000);
const action = (userId: string, name: string, seconds: number) => ({
  timestamp: seconds,
  user_id: userId,
  action_id: `${name}-${seconds}`,
  action_name: name,
});

/**
 * The contract every EventStore implementation keeps, exercised through the port alone. A backend
 * joins with one line: `describeEventStore('name', () => fixture)`.
 */
export function describeEventStore(name: string, open: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreFixture;
    let events: EventStore;
    beforeAll(async () => {
      fixture = await open();
      events = fixture.events;
    }, 60_000);
    afterAll(async () => {
      await fixture.close();
    });

    const actionsOf = async (scope: EventScope, userId?: string) =>
      (await events.listRecords(scope, RECORD_TYPE_DEFS.actions, { userId, limit: 100 })).records;

    it('names its capabilities', () => {
      expect(typeof events.capabilities.synchronousDelete).toBe('boolean');
      expect(typeof events.capabilities.overwritesDeleted).toBe('boolean');
      return events.ping();
    });

    it('stores a batch whole, and a failing batch not at all', async () => {
      const scope = freshScope();
      const good = batchOf(
        scope,
        RECORD_TYPE_DEFS.actions,
        [action('a', 'jump', at(DAY1, 1)), action('b', 'run', at(DAY1, 2))],
        DAY1,
      );
      expect(await events.write(good)).toEqual({ duplicate: false, written: 2, withheld: 0 });
      // The second row lacks its required action name: the store refuses the batch, first row included.
      const [first] = batchOf(scope, RECORD_TYPE_DEFS.actions, [action('c', 'fly', at(DAY1, 3))], DAY1).rows;
      const broken: WriteBatch = {
        ...good,
        rows: [first!, { ...first!, values: [first!.values[0]!, null, null] }],
      };
      await expect(events.write(broken)).rejects.toThrow();
      expect((await actionsOf(scope)).map((r) => r.user_id).sort()).toEqual(['a', 'b']);
      expect(await events.hasPlayer(scope, 'c')).toBe(false);
    });

    it('replays an idempotency key: the first answer, nothing written twice, none once expired', async () => {
      const scope = freshScope();
      const idempotency = { key: 'k1', requestHash: 'h1', response: '{"count":1}', notBefore: DAY1 - DAY };
      const batch = batchOf(scope, RECORD_TYPE_DEFS.actions, [action('a', 'jump', at(DAY1, 1))], DAY1, {
        idempotency,
      });
      expect(await events.write(batch)).toEqual({ duplicate: false, written: 1, withheld: 0 });
      expect(await events.write(batch)).toEqual({ duplicate: true, written: 0, withheld: 0 });
      expect(await actionsOf(scope)).toHaveLength(1);
      expect(await events.replayed(scope, 'k1', DAY1 - DAY)).toEqual({
        requestHash: 'h1',
        response: '{"count":1}',
      });
      expect(await events.replayed(scope, 'k1', DAY1 + 1)).toBeUndefined();
      expect(await events.replayed(scope, 'other', 0)).toBeUndefined();
      // Keys belong to their scope.
      expect(await events.replayed({ ...scope, environment: 'sandbox' }, 'k1', 0)).toBeUndefined();
    });

    it('skips records whose dedupe key was stored before, and finds keys by prefix', async () => {
      const scope = freshScope();
      const records = [action('a', 'x', at(DAY1, 1)), action('a', 'y', at(DAY1, 2))];
      const first = batchOf(scope, RECORD_TYPE_DEFS.actions, records, DAY1, {
        dedupe: { source: 'playfab', keys: ['e1', 'e2'] },
      });
      expect((await events.write(first)).written).toBe(2);
      const again = batchOf(
        scope,
        RECORD_TYPE_DEFS.actions,
        [...records, action('a', 'z', at(DAY1, 3))],
        DAY1,
        {
          dedupe: { source: 'playfab', keys: ['e1', 'e2', 'e3'] },
        },
      );
      expect((await events.write(again)).written).toBe(1);
      expect((await actionsOf(scope)).map((r) => r.action_name).sort()).toEqual(['x', 'y', 'z']);
      expect(await events.hasDedupeKey(scope, 'playfab', 'e')).toBe(true);
      expect(await events.hasDedupeKey(scope, 'playfab', 'f')).toBe(false);
      expect(await events.hasDedupeKey(scope, 'other', 'e')).toBe(false);
    });

    it('stores a chunk under a once-key one time only', async () => {
      const scope = freshScope();
      const chunk = batchOf(
        scope,
        RECORD_TYPE_DEFS.actions,
        [action('a', 'x', at(DAY1, 1)), action('b', 'y', at(DAY1, 1))],
        DAY1,
        {
          once: { source: 'file:1', key: 'lines 1-2' },
        },
      );
      expect((await events.write(chunk)).written).toBe(2);
      expect(await events.write(chunk)).toEqual({ duplicate: false, written: 0, withheld: 0 });
      expect(await actionsOf(scope)).toHaveLength(2);
      expect(await events.hasDedupeKey(scope, 'file:1', 'lines ')).toBe(true);
    });

    it('lists records newest first, a page at a time, per player', async () => {
      const scope = freshScope();
      const records = [1, 2, 3, 4, 5].map((h) => action(h % 2 ? 'odd' : 'even', `a${h}`, at(DAY1, h)));
      await events.write(batchOf(scope, RECORD_TYPE_DEFS.actions, records, DAY1));
      const names: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const result = await events.listRecords(scope, RECORD_TYPE_DEFS.actions, { limit: 2, cursor });
        names.push(...result.records.map((r) => String(r.action_name)));
        cursor = result.next;
        if (cursor === undefined) break;
      }
      expect(names).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);
      const odd = await events.listRecords(scope, RECORD_TYPE_DEFS.actions, { userId: 'odd', limit: 10 });
      expect(odd.records.map((r) => [r.user_id, r.action_name, r.ts])).toEqual([
        ['odd', 'a5', at(DAY1, 5) * 1000],
        ['odd', 'a3', at(DAY1, 3) * 1000],
        ['odd', 'a1', at(DAY1, 1) * 1000],
      ]);
      expect(odd.next).toBeUndefined();
    });

    it('counts records per arrival day and type, and in total', async () => {
      const scope = freshScope();
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.actions,
          [action('a', 'x', at(DAY1, 1)), action('b', 'x', at(DAY1, 1))],
          DAY1,
        ),
      );
      await events.write(batchOf(scope, RECORD_TYPE_DEFS.actions, [action('a', 'y', at(DAY1, 1))], DAY2));
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.purchases,
          [{ user_id: 'a', item_id: 'i', count: 1, price: 2, timestamp: at(DAY1, 1) }],
          DAY2,
        ),
      );
      const day1 = new Date(DAY1).toISOString().slice(0, 10);
      const day2 = new Date(DAY2).toISOString().slice(0, 10);
      expect(
        await events.dailyCounts(scope.dashboardId, { environment: 'production', sinceDay: day1 }),
      ).toEqual([
        { day: day2, environment: 'production', type: 'actions', count: 1 },
        { day: day2, environment: 'production', type: 'purchases', count: 1 },
        { day: day1, environment: 'production', type: 'actions', count: 2 },
      ]);
      expect(await events.dailyCounts(scope.dashboardId, { sinceDay: day2 })).toHaveLength(2);
      expect(await events.totals(scope)).toEqual([
        { type: 'actions', count: 3 },
        { type: 'purchases', count: 1 },
      ]);
      expect(
        (await events.storedCounts(scope.dashboardId))
          .filter((c) => c.count > 0)
          .sort((x, y) => x.type.localeCompare(y.type)),
      ).toEqual([
        { type: 'actions', environment: 'production', count: 3 },
        { type: 'purchases', environment: 'production', count: 1 },
      ]);
    });

    it('aggregates each player over every event table', async () => {
      const scope = freshScope();
      const t0 = at(DAY1, 0);
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.logins,
          [
            { user_id: 'p', level: 3, timestamp: t0 },
            { user_id: 'p', timestamp: t0 + 3600 },
            { user_id: 'idle', timestamp: t0 },
          ],
          DAY1,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.purchases,
          [
            { user_id: 'p', item_id: 'i', count: 1, price: 2.5, timestamp: t0 },
            { user_id: 'p', item_id: 'j', count: 2, price: 4, timestamp: t0 + 2 * 86_400 },
          ],
          DAY1,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.virtual_purchases,
          [{ user_id: 'p', item_id: 'i', count: 1, virtual_price: 7, currency: 'gold', timestamp: t0 }],
          DAY1,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.level_ups,
          [
            { user_id: 'p', level: 5, timestamp: t0 },
            { user_id: 'p', level: 9, timestamp: t0 },
          ],
          DAY1,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.social_dynamics,
          [
            { user_id: 'p', target_user_id: 'x', interaction: 'gift', timestamp: t0 },
            { user_id: 'p', target_user_id: 'x', interaction: 'chat', timestamp: t0 },
            { user_id: 'p', target_user_id: 'y', interaction: 'chat', timestamp: t0 },
          ],
          DAY1,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.actions,
          [action('p', 'jump', t0), action('p', 'jump', t0 + 1), action('p', 'run', t0)],
          DAY1,
        ),
      );
      const byUser = new Map((await events.playerAggregates(scope)).map((a) => [a.userId, a]));
      expect(byUser.get('p')).toEqual({
        userId: 'p',
        profileLevel: 3,
        logins: 2,
        purchases: 2,
        spend: 6.5,
        virtualPurchases: 1,
        virtualSpend: 7,
        maxLevel: 9,
        social: 3,
        socialTargets: 2,
        actions: 3,
        actionKinds: 2,
        firstTs: t0 * 1000,
        lastTs: (t0 + 2 * 86_400) * 1000,
      });
      expect(byUser.get('idle')).toMatchObject({
        logins: 1,
        purchases: 0,
        spend: 0,
        maxLevel: null,
        actions: 0,
      });
      expect(byUser.size).toBe(2);
    });

    it('finds the members of a segment from profiles and spend, a page at a time', async () => {
      const scope = freshScope();
      const now = at(DAY2, 0);
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.logins,
          [
            {
              user_id: 'us-payer',
              country: 'US',
              platform: 'Steam',
              language: 'en-US',
              level: 12,
              timestamp: now,
              register_date: '2026-03-15',
            },
            {
              user_id: 'us-free',
              country: 'us',
              platform: 'steam',
              language: 'en',
              level: 2,
              timestamp: now - 40 * 86_400,
            },
            { user_id: 'fr', country: 'FR', platform: 'Apple', language: 'fr', level: 30, timestamp: now },
          ],
          DAY2,
        ),
      );
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.purchases,
          [{ user_id: 'us-payer', item_id: 'i', count: 1, price: 20, timestamp: now }],
          DAY2,
        ),
      );
      const members = (criteria: Parameters<EventStore['segmentMembers']>[1]) =>
        events.segmentMembers(scope, criteria);
      expect(await members({})).toEqual(expect.arrayContaining(['fr', 'us-free', 'us-payer']));
      expect((await members({ countries: ['US'] })).sort()).toEqual(['us-free', 'us-payer']);
      expect((await members({ platforms: ['steam'], languages: ['en'] })).sort()).toEqual([
        'us-free',
        'us-payer',
      ]);
      expect(await members({ languages: ['fr'], levelMin: 20 })).toEqual(['fr']);
      expect(await members({ levelMax: 2 })).toEqual(['us-free']);
      expect(await members({ payer: true })).toEqual(['us-payer']);
      expect((await members({ payer: false })).sort()).toEqual(['fr', 'us-free']);
      expect(await members({ spendMin: 10, spendMax: 20 })).toEqual(['us-payer']);
      expect((await members({ lastLoginFrom: (now - 86_400) * 1000 })).sort()).toEqual(['fr', 'us-payer']);
      expect(await members({ registeredFrom: Date.UTC(2026, 2, 10) })).toEqual(['us-payer']);
      expect(await events.segmentMembers(scope, {}, { limit: 2 })).toEqual(['fr', 'us-free']);
      expect(await events.segmentMembers(scope, {}, { after: 'us-free', limit: 2 })).toEqual(['us-payer']);
    });

    it('deletes a player: their events, profile, keys and counts go; late records are withheld', async () => {
      const scope = freshScope();
      await events.write(
        batchOf(
          scope,
          RECORD_TYPE_DEFS.actions,
          [action('victim', 'x', at(DAY1, 1)), action('bystander', 'x', at(DAY1, 1))],
          DAY1,
          {
            dedupe: { source: 'playfab', keys: ['v1', 'b1'] },
          },
        ),
      );
      await events.write(
        batchOf(
          scope,
          FILE_RECORD_TYPE_DEFS.kpis,
          [{ user_id: 'victim', kpi_id: 'ltv', value: 3, timestamp: at(DAY1, 1) }],
          DAY1,
        ),
      );
      const deletedAt = DAY2;
      const deletion = await events.deletePlayer(scope, 'victim', deletedAt);
      expect(deletion.records).toBeGreaterThanOrEqual(3);
      expect(deletion.complete).toBe(events.capabilities.synchronousDelete);
      if (events.capabilities.synchronousDelete) {
        expect(await events.hasPlayer(scope, 'victim')).toBe(false);
        expect((await actionsOf(scope)).map((r) => r.user_id)).toEqual(['bystander']);
        expect(await events.hasDedupeKey(scope, 'playfab', 'v1')).toBe(false);
        expect(await events.hasDedupeKey(scope, 'playfab', 'b1')).toBe(true);
        expect(await events.totals(scope)).toEqual([{ type: 'actions', count: 1 }]);
        expect((await events.playerAggregates(scope)).map((a) => a.userId)).toEqual(['bystander']);
      }
      // A record that entered before the deletion and arrives after it is withheld; a new one is stored.
      const late = batchOf(
        scope,
        RECORD_TYPE_DEFS.actions,
        [action('victim', 'late', at(DAY1, 2)), action('bystander', 'late', at(DAY1, 2))],
        DAY2 + 1000,
        {
          entered: { at: deletedAt - 1000 },
        },
      );
      expect(await events.write(late)).toEqual({ duplicate: false, written: 1, withheld: 1 });
      const fresh = batchOf(
        scope,
        RECORD_TYPE_DEFS.actions,
        [action('victim', 'new', at(DAY2, 2))],
        DAY2 + 2000,
      );
      expect(await events.write(fresh)).toEqual({ duplicate: false, written: 1, withheld: 0 });
      expect((await actionsOf(scope, 'victim')).map((r) => r.action_name)).toEqual(['new']);
      // Deleting an unknown player removes nothing and is harmless.
      expect((await events.deletePlayer(scope, 'nobody', DAY2)).records).toBe(0);
      await events.purgeDeleted();
    });

    it('keeps environments apart', async () => {
      const scope = freshScope();
      const sandbox: EventScope = { ...scope, environment: 'sandbox' };
      await events.write(batchOf(sandbox, RECORD_TYPE_DEFS.actions, [action('s', 'x', at(DAY1, 1))], DAY1));
      expect(await actionsOf(scope)).toEqual([]);
      expect(await events.hasPlayer(scope, 's')).toBe(false);
      expect(await events.hasPlayer(sandbox, 's')).toBe(true);
      expect(await events.segmentMembers(scope, {})).toEqual([]);
    });
  });
}
