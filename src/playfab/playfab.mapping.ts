import type { RecordType } from '../domain/records.js';

/**
 * PlayStream V1 events (PlayFab webhooks) as 12traits records. Envelope fields (EventName,
 * EntityId, Timestamp…) sit beside the event's own. Player = EntityId. Known events map to
 * their record type; everything else, custom `title.*` events included, is kept as an action.
 */
export interface PlayFabMapped {
  type: RecordType;
  record: Record<string, unknown>;
  /** PlayFab's EventId: a redelivered event is recognised by it and stored once. */
  eventId: string | null;
}

/** Fields every PlayStream event carries; kept with the record, never as action params. */
const ENVELOPE = new Set([
  'EventName',
  'EventNamespace',
  'EntityType',
  'EntityId',
  'EventId',
  'Timestamp',
  'TitleId',
  'Source',
  'SourceType',
  'PlayFabEnvironment',
  'History',
  'CustomTags',
  'Reserved',
  'EntityLineage',
]);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const isScalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);

/** What the envelope says about the event, kept with every mapped record. */
function envelopeExtras(event: Record<string, unknown>): Record<string, unknown> {
  const extras: Record<string, unknown> = { playfab_event: event.EventName };
  for (const field of ['EventId', 'EventNamespace', 'TitleId', 'EntityType', 'Source', 'SourceType']) {
    if (event[field] !== undefined && event[field] !== null)
      extras[`playfab_${field.toLowerCase()}`] = event[field];
  }
  return extras;
}

function base(event: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(event.Timestamp === undefined ? {} : { timestamp: event.Timestamp }),
    user_id: text(event.EntityId) ?? '',
    ...envelopeExtras(event),
  };
}

/** Any event as an action: action_name = EventName, scalar own fields → action_params. */
export function asAction(event: Record<string, unknown>): Record<string, unknown> {
  const name = text(event.EventName) ?? 'unknown_event';
  const params = Object.entries(event)
    .filter(([key, value]) => !ENVELOPE.has(key) && value !== null && isScalar(value))
    .slice(0, 100)
    .map(([key, value]) => ({ key: key.slice(0, 256), value: String(value).slice(0, 4096) }));
  return {
    ...base(event),
    action_id: name.slice(0, 256),
    action_name: name.slice(0, 256),
    action_params: params,
  };
}

function mapKnown(
  event: Record<string, unknown>,
  levelStatistics: ReadonlySet<string>,
): PlayFabMapped['type'] | undefined {
  switch (event.EventName) {
    case 'player_logged_in':
      return 'logins';
    case 'player_realmoney_purchase':
      return 'purchases';
    case 'player_vc_item_purchased':
      return num(event.UnitPrice) !== undefined && text(event.ItemId) && text(event.CurrencyCode)
        ? 'virtual_purchases'
        : undefined;
    case 'player_inventory_item_added':
      return text(event.ItemId) ? 'items' : undefined;
    case 'player_statistic_changed':
      return levelStatistics.has(String(event.StatisticName)) && num(event.StatisticValue) !== undefined
        ? 'level_ups'
        : undefined;
    default:
      return undefined;
  }
}

/** Maps one event; an event of a shape not known here becomes an action. */
export function mapPlayFabEvent(
  event: Record<string, unknown>,
  levelStatistics: ReadonlySet<string>,
): PlayFabMapped {
  const eventId = text(event.EventId) ?? null;
  const type = mapKnown(event, levelStatistics) ?? 'actions';
  const b = base(event);
  switch (type) {
    case 'logins': {
      const location = event.Location as { CountryCode?: unknown } | null | undefined;
      const country = text(location?.CountryCode);
      const platform = text(event.Platform);
      return {
        type,
        eventId,
        record: {
          ...b,
          ...(country && /^[A-Za-z]{2}$/.test(country) ? { country } : {}),
          ...(platform ? { platform } : {}),
        },
      };
    }
    case 'purchases': {
      const products = Array.isArray(event.PurchasedProduct)
        ? (event.PurchasedProduct as Record<string, unknown>[])
        : [];
      const count = products.reduce((sum, p) => sum + (num(p.Quantity) ?? 1), 0) || 1;
      // PlayFab totals are in the currency's minor unit (cents): 499 USD is 4.99.
      const minor = num(event.OrderTotal) ?? num(event.TransactionTotal) ?? 0;
      return {
        type,
        eventId,
        record: {
          ...b,
          item_id: text(products[0]?.ItemId) ?? text(event.OrderId) ?? 'unknown',
          count,
          price: Math.max(0, minor) / 100,
          ...(text(event.PaymentProvider) ? { platform: text(event.PaymentProvider) } : {}),
          currency: text(event.TransactionCurrency) ?? null,
          order_id: text(event.OrderId) ?? null,
        },
      };
    }
    case 'virtual_purchases': {
      const quantity = num(event.Quantity) ?? 1;
      return {
        type,
        eventId,
        record: {
          ...b,
          item_id: text(event.ItemId),
          count: quantity,
          virtual_price: num(event.UnitPrice)! * quantity,
          currency: text(event.CurrencyCode),
        },
      };
    }
    case 'items':
      // The inventory event carries no price: the catalogue row is kept with price 0.
      return {
        type,
        eventId,
        record: {
          ...envelopeExtras(event),
          item_id: text(event.ItemId),
          name: text(event.DisplayName) ?? text(event.ItemId),
          price: 0,
          currency: 'unknown',
          ...(text(event.Class) ? { type: text(event.Class) } : {}),
          catalog_version: text(event.CatalogVersion) ?? null,
        },
      };
    case 'level_ups':
      return { type, eventId, record: { ...b, level: Math.max(0, Math.trunc(num(event.StatisticValue)!)) } };
    default:
      return { type: 'actions', eventId, record: asAction(event) };
  }
}
