import type { EventScope, EventStore, PlayerAggregates } from '../events/event-store.js';

/**
 * The behavioural features a persona is predicted from, in model order. Counts and money are per
 * day played (first to last event, plus the last day), so a veteran and a newcomer who play alike
 * look alike: totals grow with time in the game, which says nothing about the player's traits.
 * Days played is a feature of its own; ratios (per login, per interaction) need no normalising.
 */
export const FEATURE_NAMES = [
  'log_days_played',
  'log_logins_per_day',
  'log_spend_per_day',
  'log_purchases_per_day',
  'payer',
  'log_virtual_spend_per_day',
  'log_virtual_purchases_per_day',
  'log_levels_per_day',
  'log_social_per_day',
  'social_breadth',
  'log_actions_per_day',
  'log_action_kinds',
  'actions_per_login',
] as const;

const DAY_MS = 86_400_000;

/** One feature vector per player of the scope, from the event store's per-player totals. */
export async function behaviourFeatures(
  events: EventStore,
  scope: EventScope,
): Promise<Map<string, number[]>> {
  const features = new Map<string, number[]>();
  for (const aggregates of await events.playerAggregates(scope))
    features.set(aggregates.userId, featureVector(aggregates));
  return features;
}

/** Counts and money are log-scaled (heavy-tailed). */
function featureVector(row: PlayerAggregates): number[] {
  // Days played: first to last event, counting the last day (one session is one day).
  const days = row.firstTs !== null && row.lastTs !== null ? 1 + (row.lastTs - row.firstTs) / DAY_MS : 1;
  const perDay = (value: number) => Math.log1p(value / days);
  const logins = row.logins;
  const level = Math.max(row.maxLevel ?? 0, row.profileLevel ?? 0);
  const social = row.social;
  return [
    Math.log(days),
    perDay(logins),
    perDay(row.spend),
    perDay(row.purchases),
    row.purchases > 0 ? 1 : 0,
    perDay(row.virtualSpend),
    perDay(row.virtualPurchases),
    perDay(level),
    perDay(social),
    social > 0 ? row.socialTargets / social : 0,
    perDay(row.actions),
    // Distinct action names saturate at what the game offers: not a per-day rate.
    Math.log1p(row.actionKinds),
    row.actions / Math.max(1, logins),
  ];
}

/** A player with no behavioural record at all (surveyed, never sent events). */
export const NO_BEHAVIOUR: readonly number[] = FEATURE_NAMES.map(() => 0);
