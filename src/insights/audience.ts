import { sql, type RawBuilder } from 'kysely';
import type { Environment } from '../domain/records.js';
import { DEFAULT_SEGMENT } from '../personas/segments.service.js';

/** A dashboard and environment: the figures never mix two. */
export interface Scope {
  dashboardId: string;
  environment: Environment;
}

/** Whose figures: the players of a segment, all of them or those of one persona, or without one. */
export interface Audience {
  segmentId: string;
  persona: number | 'all' | 'none';
}

/**
 * The condition that player `ip` (an `insight_players` row) belongs to the audience: membership
 * of a custom segment as of the last refresh, personas as of the last recompute (current
 * membership: a player's whole history counts under the persona they have now).
 */
export function memberOf(scope: Scope, audience: Audience): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [];
  if (audience.segmentId !== DEFAULT_SEGMENT.id)
    conditions.push(sql`exists (select 1 from insight_segment_members sm where sm.dashboard_id = ${scope.dashboardId}
      and sm.environment = ${scope.environment} and sm.segment_id = ${audience.segmentId} and sm.user_id = ip.user_id)`);
  if (audience.persona !== 'all') {
    const persona = audience.persona === 'none' ? sql`` : sql`and pm.persona = ${audience.persona}`;
    const members = sql`select 1 from persona_members pm where pm.dashboard_id = ${scope.dashboardId}
      and pm.environment = ${scope.environment} and pm.segment_id = ${audience.segmentId} and pm.user_id = ip.user_id ${persona}`;
    conditions.push(audience.persona === 'none' ? sql`not exists (${members})` : sql`exists (${members})`);
  }
  return conditions.length === 0 ? sql`1 = 1` : sql.join(conditions, sql` and `);
}

/**
 * The condition on an aggregate row (`f`, migration 0021) for the audience: its segment, and one
 * persona (0 for none) or, for `all`, every persona row of the segment (their sum).
 */
export function figuresOf(audience: Audience): RawBuilder<unknown> {
  const segment = sql`f.segment_id = ${audience.segmentId}`;
  if (audience.persona === 'all') return segment;
  return sql`${segment} and f.persona = ${audience.persona === 'none' ? 0 : audience.persona}`;
}
