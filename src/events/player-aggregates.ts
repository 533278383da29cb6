import type { PlayerAggregates } from './event-store.js';

/** A player's totals, without who they are. */
type Totals = Omit<PlayerAggregates, 'userId' | 'profileLevel'>;

/** What one total is, over a player's rows of a table: the dialects write it in their SQL. */
type Aggregate = { of: 'count' } | { of: 'sum' | 'max' | 'distinct'; column: string };

/**
 * The per-player totals behind behavioural features and segment filters, for every backend:
 * which event table each comes from and what it counts. One grouped scan per table
 * (`… group by player`); every scan also reads the table's time span (`firstTs`, `lastTs`).
 */
export const PLAYER_AGGREGATES: readonly {
  table: string;
  totals: readonly { field: keyof Totals; aggregate: Aggregate }[];
}[] = [
  { table: 'logins', totals: [{ field: 'logins', aggregate: { of: 'count' } }] },
  {
    table: 'purchases',
    totals: [
      { field: 'purchases', aggregate: { of: 'count' } },
      { field: 'spend', aggregate: { of: 'sum', column: 'price' } },
    ],
  },
  {
    table: 'virtual_purchases',
    totals: [
      { field: 'virtualPurchases', aggregate: { of: 'count' } },
      { field: 'virtualSpend', aggregate: { of: 'sum', column: 'virtual_price' } },
    ],
  },
  { table: 'level_ups', totals: [{ field: 'maxLevel', aggregate: { of: 'max', column: 'level' } }] },
  {
    table: 'social_dynamics',
    totals: [
      { field: 'social', aggregate: { of: 'count' } },
      { field: 'socialTargets', aggregate: { of: 'distinct', column: 'target_user_id' } },
    ],
  },
  {
    table: 'actions',
    totals: [
      { field: 'actions', aggregate: { of: 'count' } },
      { field: 'actionKinds', aggregate: { of: 'distinct', column: 'action_name' } },
    ],
  },
];

/** How a dialect writes a count and a count of distinct values (sum and max are standard). */
export interface AggregateDialect {
  count: string;
  distinct(column: string): string;
}

/**
 * A table's select list: its totals then `min(ts)`, `max(ts)`, aliased `a0`, `a1`, … in that
 * order (`addAggregateRow` reads them back). Tables without totals read their span only.
 */
export function aggregateColumns(table: string, dialect: AggregateDialect): string {
  const totals = PLAYER_AGGREGATES.find((a) => a.table === table)?.totals ?? [];
  const columns = totals.map(({ aggregate: a }) =>
    a.of === 'count'
      ? dialect.count
      : a.of === 'distinct'
        ? dialect.distinct(a.column)
        : `${a.of}(${a.column})`,
  );
  return [...columns, 'min(ts)', 'max(ts)'].map((c, i) => `${c} as a${i}`).join(', ');
}

/** A player with nothing recorded yet. */
export function noAggregates(userId: string, profileLevel: number | null): PlayerAggregates {
  return {
    userId,
    profileLevel,
    logins: 0,
    purchases: 0,
    spend: 0,
    virtualPurchases: 0,
    virtualSpend: 0,
    maxLevel: null,
    social: 0,
    socialTargets: 0,
    actions: 0,
    actionKinds: 0,
    firstTs: null,
    lastTs: null,
  };
}

/** Adds one grouped row of `table` (selected by `aggregateColumns`) to the player's totals. */
export function addAggregateRow(
  aggregates: PlayerAggregates,
  table: string,
  row: Readonly<Record<string, number | string | null | undefined>>,
): void {
  const totals = PLAYER_AGGREGATES.find((a) => a.table === table)?.totals ?? [];
  totals.forEach(({ field }, i) => {
    const value = row[`a${i}`];
    if (value !== null && value !== undefined) aggregates[field] = Number(value);
  });
  const first = row[`a${totals.length}`];
  const last = row[`a${totals.length + 1}`];
  if (first !== null && first !== undefined)
    aggregates.firstTs = Math.min(aggregates.firstTs ?? Infinity, Number(first));
  if (last !== null && last !== undefined)
    aggregates.lastTs = Math.max(aggregates.lastTs ?? -Infinity, Number(last));
}
