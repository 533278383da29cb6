import { describe, expect, it } from 'vitest';
import { GameActionSchema, GamePlayerSchema, RECORD_TYPE_DEFS } from '../../src/domain/records.js';
import { schemaErrors, withoutNullOptionals } from '../../src/ingest/validate.js';

const { actions, logins, purchases, social_dynamics, items } = RECORD_TYPE_DEFS;
const action = { user_id: 'u1', action_id: 'a1', action_name: 'buy_item' };

/** The errors of one record, as `field: message` lines (easy to read in a failure). */
function errorsOf(schema: typeof actions.schema, record: unknown): string[] {
  return schemaErrors(schema, [record]).map((e) => `${e.field ?? '(record)'}: ${e.message}`);
}

describe('schemaErrors', () => {
  it("accepts the documents' example records", () => {
    for (const def of Object.values(RECORD_TYPE_DEFS)) {
      expect(schemaErrors(def.schema, def.schema.examples as unknown[])).toEqual([]);
    }
  });

  it('names every missing required field with "is required"', () => {
    expect(errorsOf(actions.schema, {})).toEqual([
      'user_id: is required',
      'action_id: is required',
      'action_name: is required',
    ]);
    expect(errorsOf(items.schema, { item_id: 'i' })).toEqual([
      'price: is required',
      'currency: is required',
      'name: is required',
    ]);
  });

  it('says which type a field must have', () => {
    expect(errorsOf(actions.schema, { ...action, user_id: 1001 })).toEqual(['user_id: must be a string']);
    expect(errorsOf(purchases.schema, { user_id: 'u', item_id: 'i', count: '1', price: 'free' })).toEqual([
      'count: must be an integer',
      'price: must be a number',
    ]);
    expect(errorsOf(logins.schema, { user_id: 'u', level: 1.5 })).toEqual(['level: must be an integer']);
    expect(errorsOf(actions.schema, { ...action, action_params: { item_id: '3' } })).toEqual([
      'action_params: must be an array',
    ]);
  });

  it('gives the bounds of numbers and strings', () => {
    expect(errorsOf(purchases.schema, { user_id: 'u', item_id: 'i', count: -1, price: -0.5 })).toEqual([
      'count: must be at least 0',
      'price: must be at least 0',
    ]);
    expect(errorsOf(actions.schema, { ...action, action_id: 'x'.repeat(257) })).toEqual([
      'action_id: must be at most 256 characters',
    ]);
    expect(errorsOf(actions.schema, { ...action, action_name: '' })).toEqual([
      'action_name: must not be empty',
    ]);
  });

  it('explains patterns in words a caller can act on', () => {
    expect(errorsOf(logins.schema, { user_id: 'u', country: 'USA' })).toEqual([
      'country: must be a 2-letter ISO 3166-1 alpha-2 country code, e.g. "US"',
    ]);
    expect(errorsOf(logins.schema, { user_id: 'u', language: 'en_US' })).toEqual([
      'language: must be an IETF language tag, e.g. "en-US"',
    ]);
  });

  it('lists the allowed values of social `connection`, including the documents\' "unllinked"', () => {
    const social = { user_id: 'u', target_user_id: 't', interaction: 'friend' };
    expect(errorsOf(social_dynamics.schema, { ...social, connection: 'friends' })).toEqual([
      'connection: must be one of "linked", "unlinked", "unllinked"',
    ]);
    for (const connection of ['linked', 'unlinked', 'unllinked']) {
      expect(errorsOf(social_dynamics.schema, { ...social, connection })).toEqual([]);
    }
  });

  it('names nested fields with their index: action_params[0].key', () => {
    const record = { ...action, action_params: [{ value: 'v' }, { key: 'k', value: 7 }] };
    expect(errorsOf(actions.schema, record)).toEqual([
      'action_params[0].key: is required',
      'action_params[1].value: must be a string',
    ]);
  });

  it('says a timestamp of the wrong type must be a timestamp', () => {
    expect(errorsOf(actions.schema, { ...action, timestamp: true })).toEqual([
      expect.stringMatching(/^timestamp: must be a timestamp: "YYYY-MM-DD HH:MM:SS"/),
    ]);
  });

  it('rejects a record that is not an object, naming no field', () => {
    expect(schemaErrors(actions.schema, [7, null, ['x'], 'text'])).toEqual(
      [0, 1, 2, 3].map((index) => ({ index, field: null, message: 'must be an object' })),
    );
  });

  it('keeps unknown extra fields (they are stored, not rejected)', () => {
    expect(errorsOf(actions.schema, { ...action, session: { id: 's1', device: { os: 'iOS' } } })).toEqual([]);
  });

  it('reports every invalid record of a batch with its 0-based index, and only those', () => {
    const noUser = { action_id: 'a1', action_name: 'buy_item' };
    const batch = [action, noUser, action, { ...action, action_id: 5 }];
    expect(schemaErrors(actions.schema, batch)).toEqual([
      { index: 1, field: 'user_id', message: 'is required' },
      { index: 3, field: 'action_id', message: 'must be a string' },
    ]);
  });

  it('first-version schemas require player_id, not user_id', () => {
    expect(errorsOf(GameActionSchema, { action_id: 'a', action_name: 'n' })).toEqual([
      'player_id: is required',
    ]);
    expect(errorsOf(GamePlayerSchema, { player_id: '1001', level: 10, language: 'en-US' })).toEqual([]);
    expect(errorsOf(GamePlayerSchema, { player_id: 1001 })).toEqual(['player_id: must be a string']);
  });
});

describe('withoutNullOptionals', () => {
  it('drops optional schema fields sent as null, and nothing else', () => {
    const record = { user_id: 'u', clan_id: null, level: null, timestamp: null, custom: null };
    expect(withoutNullOptionals(logins.schema, [record, 7, { user_id: null }])).toEqual([
      { user_id: 'u', custom: null },
      7,
      { user_id: null },
    ]);
  });
});
