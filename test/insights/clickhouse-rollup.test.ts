import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { ClickHouseEventStore } from '../../src/events/clickhouse/clickhouse-event-store.js';
import { ClickHouseInsightsReads } from '../../src/events/clickhouse/insights-reads.js';
import { chSql } from '../../src/events/clickhouse/literal.js';
import { NOTHING_HIDDEN } from '../../src/events/clickhouse/reads.js';
import type { WriteBatch } from '../../src/events/event-store.js';
import { InsightsRollup } from '../../src/insights/insights-rollup.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import type { Store } from '../../src/store/store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { CLICKHOUSE_URLS, createTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';

const scope = { dashboardId: 'dash', environment: 'production' } as const;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 12);

/** One login per user on T0's day, under an idempotency key (its ids are the same every time). */
function logins(key: string, users: readonly string[]): WriteBatch {
  return {
    ...scope,
    def: RECORD_TYPE_DEFS.logins,
    receivedAt: T0,
    rows: users.map((userId) => ({
      userId,
      ts: T0,
      values: RECORD_TYPE_DEFS.logins.columns.map(() => null),
      extra: null,
    })),
    idempotency: { key, requestHash: key, response: '{}', notBefore: T0 - DAY },
  };
}

/**
 * The ClickHouse cursor (docs/insights.md, "On ClickHouse"): every record folded once although
 * ids are hashes, a replayed batch is stored twice and merges keep the latest copy.
 */
describe.skipIf(CLICKHOUSE_URLS.length === 0).each(BACKENDS)(
  'insights rollup over ClickHouse events, control plane on %s',
  (backend) => {
    let cluster: TestClickHouse;
    let control: TestDatabase;
    let store: Store;
    let events: ClickHouseEventStore;
    let rollup: InsightsRollup;

    beforeEach(async () => {
      cluster = createTestClickHouse();
      control = await createTestDatabase(backend);
      store = control.openStore();
      await store.migrate();
      events = new ClickHouseEventStore(
        cluster.shards,
        store.db as never,
        new JobQueue(store.db, store.capabilities),
        {
          insightsLagMs: 0,
        },
      );
      await events.migrate();
      rollup = new InsightsRollup(store.db, events.insights);
    });
    afterEach(async () => {
      await events.close();
      await store.close();
      await control.drop();
      await cluster.drop();
    });

    /** Records folded, per user. */
    const folded = async () => {
      const rows = await store.db
        .selectFrom('insight_player_days as d')
        .innerJoin('insight_players as p', (j) =>
          j
            .onRef('p.player_id', '=', 'd.player_id')
            .onRef('p.dashboard_id', '=', 'd.dashboard_id')
            .onRef('p.environment', '=', 'd.environment'),
        )
        .select(['p.user_id', 'd.records'])
        .execute();
      return Object.fromEntries(rows.map((r): [string, number] => [r.user_id, r.records]).sort());
    };
    /** The retry after a crash between the ClickHouse insert and the key: the same ids again. */
    const replay = async (batch: WriteBatch) => {
      await sql`delete from idempotency_keys`.execute(store.db);
      expect((await events.write(batch)).written).toBe(batch.rows.length);
    };
    const mergeEverything = () =>
      Promise.all(cluster.shards.map((s) => s.command(chSql`OPTIMIZE TABLE events_logins_by_id FINAL`)));

    it('folds a replayed batch once: copies in one step, in a later step, and after a merge', async () => {
      const first = logins('k1', ['ann', 'ben']);
      await events.write(first);
      await replay(first);
      await rollup.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 1, ben: 1 });

      await replay(first);
      await rollup.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 1, ben: 1 });

      // The merge keeps the latest copy, stamped after the watermark: still not folded again.
      await mergeEverything();
      await events.write(logins('k2', ['ann', 'cat']));
      await rollup.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 2, ben: 1, cat: 1 });
      await replay(first);
      await mergeEverything();
      await rollup.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 2, ben: 1, cat: 1 });
    });

    it('folds a backlog in several steps, a first time bucket too full split down to the millisecond', async () => {
      for (const [key, users] of [
        ['k1', ['ann', 'ben']],
        ['k2', ['ann', 'cat']],
        ['k3', ['dan']],
      ] as const) {
        await events.write(logins(key, users));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const reads = new ClickHouseInsightsReads(
        cluster.shards,
        store.db,
        () => Promise.resolve(NOTHING_HIDDEN),
        {
          lagMs: 0,
          stepRows: 1,
        },
      );
      const target = await reads.activityCursor(scope.dashboardId, scope.environment);
      const first = await reads.nextStep(scope.dashboardId, scope.environment, {}, target);
      expect(first.inserted_at).toBeLessThan(target.inserted_at!);
      await new InsightsRollup(store.db, reads).refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 2, ben: 1, cat: 1, dan: 1 });
      // A backlog's steps leave the aggregates to one rebuild at the end: built, and stamped.
      const { rows } = await sql<{ players: unknown; installs: unknown }>`select sum(players) as players,
        sum(installs) as installs from insight_day_figures where segment_id = 'default'`.execute(store.db);
      expect(rows.map((r) => [Number(r.players), Number(r.installs)])).toEqual([[4, 4]]);
      const stamps = await store.db.selectFrom('insight_figure_stamps').select('segment_id').execute();
      expect(stamps).toEqual([{ segment_id: 'default' }]);
    });

    it('folds nothing inserted within the lag, and no row of a player being deleted', async () => {
      await events.write(logins('k1', ['ann', 'ben']));
      const lagging = new InsightsRollup(
        store.db,
        new ClickHouseInsightsReads(cluster.shards, store.db, () => Promise.resolve(NOTHING_HIDDEN), {
          lagMs: 60_000,
        }),
      );
      await lagging.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({});

      const deletion = await events.deletePlayer(scope, 'ben', Date.now());
      expect(deletion.complete).toBe(false);
      await rollup.refresh(scope.dashboardId, scope.environment);
      expect(await folded()).toEqual({ ann: 1 });
    });
  },
);
