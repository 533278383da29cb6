import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { TIMESTAMP_HINT } from './timestamp.js';

/**
 * The 12traits record types: one schema per record (validation, types, OpenAPI) and the
 * typed columns each is stored in. Field names, types and required flags follow the
 * documents' tables; unknown extra fields are allowed and kept with the record.
 */
export const RECORD_TYPES = [
  'actions',
  'logins',
  'purchases',
  'virtual_purchases',
  'level_ups',
  'items',
  'social_dynamics',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Record types that arrive only through the file channels (CSV uploads): no JSON push endpoint. */
export const FILE_RECORD_TYPES = ['kpis', 'survey_answers'] as const;
export type FileRecordType = (typeof FILE_RECORD_TYPES)[number];
/** Every stored record type: the JSON pushes' and the file channels'. */
export const ALL_RECORD_TYPES = [...RECORD_TYPES, ...FILE_RECORD_TYPES] as const;
export type AnyRecordType = RecordType | FileRecordType;

export const ENVIRONMENTS = ['production', 'sandbox'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** How a typed column is read from JSON and stored. */
export type ColumnKind = 'text' | 'int' | 'float' | 'json' | 'timestamp' | 'date';
export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
}

export interface RecordTypeDef {
  readonly type: AnyRecordType;
  /** The JSON body key holding the array, e.g. `virtual_purchases`. */
  readonly bodyKey: string;
  /** The plural noun in the success message, e.g. "virtual purchases". */
  readonly noun: string;
  /** The JSON push endpoint, or null for a type that only arrives in files. */
  readonly path: string | null;
  readonly schema: TObject;
  /** False for items: catalogue rows keyed by item_id, not events of a user. */
  readonly userScoped: boolean;
  readonly columns: readonly ColumnDef[];
}

/** Schema option: what a pattern-checked string must be, as the error message says it ("must be …"). */
export const EXPECTED = 'x-expected';

const MAX_TEXT = 256;
const text = (description: string, maxLength = MAX_TEXT) =>
  Type.String({ minLength: 1, maxLength, description });
const optionalText = (description: string, maxLength = MAX_TEXT) =>
  Type.Optional(Type.String({ maxLength, description }));
const int32 = (description: string) => Type.Integer({ minimum: 0, maximum: 2_147_483_647, description });
const money = (description: string) => Type.Number({ minimum: 0, maximum: 1e12, description });

export const TimestampSchema = Type.Union([Type.String({ maxLength: 40 }), Type.Number()], {
  description: `${TIMESTAMP_HINT}; 13 digits are read as milliseconds. Missing: the time the batch was received.`,
  examples: ['2019-01-01 15:04:05'],
});
export const UserIdSchema = text('Unique user ID');

export const KeyValueSchema = Type.Object(
  { key: text('Param key'), value: Type.String({ maxLength: 4096, description: 'Param value' }) },
  { additionalProperties: false },
);
const KeyValueList = (description: string) =>
  Type.Optional(Type.Array(KeyValueSchema, { maxItems: 100, description }));

const record = (properties: Record<string, TSchema>, example: Record<string, unknown>) =>
  Type.Object(properties, { additionalProperties: true, examples: [example] });

export const ActionSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    action_id: text('Action ID specific to your app'),
    action_name: text('User-friendly name, for example: "buy_item", "start_fight"'),
    action_params: KeyValueList('Map of action params'),
  },
  {
    timestamp: '2019-01-01 15:04:05',
    user_id: '1001',
    action_id: '2002',
    action_name: 'buy_item',
    action_params: [{ key: 'item_id', value: '3003' }],
  },
);

export const LoginSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    clan_id: optionalText('Clan/guild/organization the user belongs to'),
    level: Type.Optional(int32("User's level or rank in the app")),
    device: optionalText('Device of the user, e.g. iPad, iPhone X'),
    country: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2}$',
        description: 'ISO 3166-1 alpha-2 country (2 letters)',
        [EXPECTED]: 'a 2-letter ISO 3166-1 alpha-2 country code, e.g. "US"',
      }),
    ),
    platform: optionalText('Platform user is using, e.g. Steam'),
    language: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
        maxLength: 64,
        description: "User's language as an IETF tag, e.g. en-US",
        [EXPECTED]: 'an IETF language tag, e.g. "en-US"',
      }),
    ),
    register_date: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' })),
    last_login_timestamp: Type.Optional(TimestampSchema),
  },
  {
    timestamp: '2019-01-01 15:04:05',
    user_id: '1001',
    clan_id: '2002',
    level: 10,
    device: 'iPhone X',
    country: 'US',
    language: 'en-US',
    platform: 'Apple',
    register_date: '2018-11-14',
    last_login_timestamp: '2019-01-01 11:10:06',
  },
);

export const PurchaseSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    item_id: text('In app Item ID'),
    count: int32('Number of items purchased'),
    price: money('Total money spent on the purchase'),
    platform: optionalText('Platform user is using, e.g. Steam'),
  },
  {
    timestamp: '2019-01-01 15:04:05',
    user_id: '1001',
    item_id: '2002',
    count: 1,
    price: 25.5,
    platform: 'Steam',
  },
);

export const VirtualPurchaseSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    item_id: text('In-app Item ID'),
    count: int32('Number of items purchased'),
    virtual_price: money('Total virtual currency spent on the purchase'),
    currency: text('Currency of the purchase, e.g. "gold", "tokens", "crowns"'),
  },
  {
    timestamp: '2019-01-01 15:04:05',
    user_id: '1001',
    item_id: '2002',
    count: 1,
    virtual_price: 25.5,
    currency: 'gold',
  },
);

export const LevelUpSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    level: int32('New level after level-up'),
  },
  { timestamp: '2019-01-01 15:04:05', user_id: '1001', level: 10 },
);

export const ItemSchema = record(
  {
    item_id: text('Unique item ID'),
    price: money('Price of the item'),
    currency: text('Currency of the price, e.g. "JPY", "CNY", "USD", "gold"'),
    name: text('Item name'),
    type: optionalText('Item type, e.g. "weapon"'),
  },
  { item_id: '1001', price: 25.5, currency: 'USD', name: 'Axe', type: 'weapon' },
);

export const SocialDynamicSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    target_user_id: text('ID of the user with whom a link is made or who is unlinked'),
    connection: Type.Optional(
      Type.Union([Type.Literal('linked'), Type.Literal('unlinked'), Type.Literal('unllinked')], {
        description: '"linked" or "unlinked" ("unllinked", as the original documents spell it, is accepted)',
      }),
    ),
    interaction: text('e.g. "friend", "party", "message_sent", "gift_sent"'),
    interaction_params: KeyValueList('Params of the interaction'),
  },
  {
    timestamp: '2019-01-01 15:04:05',
    user_id: '1001',
    target_user_id: '1002',
    connection: 'linked',
    interaction: 'friend',
  },
);

const optionalDate = (description: string) => Type.Optional(Type.String({ maxLength: 10, description }));

/** One KPI value of a user (the KPI CSV's row): `timestamp,user_id,register_date,churn_date,kpi_id,value`. */
export const KpiSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    register_date: optionalDate('The date the user registered, YYYY-MM-DD (empty: unknown)'),
    churn_date: optionalDate('The date the user churned, YYYY-MM-DD (empty: not churned)'),
    kpi_id: text('KPI name, e.g. "transaction_count"'),
    value: Type.Number({ minimum: -1e15, maximum: 1e15, description: 'The KPI value' }),
  },
  {
    timestamp: '2020-03-12 00:00:00',
    user_id: '1001',
    register_date: '2019-11-18',
    churn_date: '',
    kpi_id: 'transaction_count',
    value: 3,
  },
);

/** One answer of a user to a custom survey question (the survey-data CSV, long or wide). */
export const SurveyAnswerSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    user_id: UserIdSchema,
    question_id: text('Question ID (the column name in the wide format)'),
    value: Type.String({ maxLength: 4096, description: 'The answer, as text' }),
  },
  { user_id: '1001', question_id: 'q1', value: '4' },
);

const col = (name: string, kind: ColumnKind): ColumnDef => ({ name, kind });

/** A record type with a JSON push endpoint. */
export type PushRecordTypeDef = RecordTypeDef & { readonly type: RecordType; readonly path: string };

/** The seven JSON-pushed types (each with its `/v1/…` endpoint). */
export const RECORD_TYPE_DEFS: Readonly<Record<RecordType, PushRecordTypeDef>> = {
  actions: {
    type: 'actions',
    bodyKey: 'actions',
    noun: 'actions',
    path: '/v1/actions',
    schema: ActionSchema,
    userScoped: true,
    columns: [col('action_id', 'text'), col('action_name', 'text'), col('action_params', 'json')],
  },
  logins: {
    type: 'logins',
    bodyKey: 'users',
    noun: 'users',
    path: '/v1/logins',
    schema: LoginSchema,
    userScoped: true,
    columns: [
      col('clan_id', 'text'),
      col('level', 'int'),
      col('device', 'text'),
      col('country', 'text'),
      col('platform', 'text'),
      col('language', 'text'),
      col('register_date', 'date'),
      col('last_login_timestamp', 'timestamp'),
    ],
  },
  purchases: {
    type: 'purchases',
    bodyKey: 'purchases',
    noun: 'purchases',
    path: '/v1/purchases',
    schema: PurchaseSchema,
    userScoped: true,
    columns: [col('item_id', 'text'), col('count', 'int'), col('price', 'float'), col('platform', 'text')],
  },
  virtual_purchases: {
    type: 'virtual_purchases',
    bodyKey: 'virtual_purchases',
    noun: 'virtual purchases',
    path: '/v1/virtual-purchases',
    schema: VirtualPurchaseSchema,
    userScoped: true,
    columns: [
      col('item_id', 'text'),
      col('count', 'int'),
      col('virtual_price', 'float'),
      col('currency', 'text'),
    ],
  },
  level_ups: {
    type: 'level_ups',
    bodyKey: 'level_ups',
    noun: 'level-ups',
    path: '/v1/level-ups',
    schema: LevelUpSchema,
    userScoped: true,
    columns: [col('level', 'int')],
  },
  items: {
    type: 'items',
    bodyKey: 'items',
    noun: 'items',
    path: '/v1/items',
    schema: ItemSchema,
    userScoped: false,
    columns: [
      col('item_id', 'text'),
      col('price', 'float'),
      col('currency', 'text'),
      col('name', 'text'),
      col('type', 'text'),
    ],
  },
  social_dynamics: {
    type: 'social_dynamics',
    bodyKey: 'social_dynamics',
    noun: 'social dynamics',
    path: '/v1/social-dynamics',
    schema: SocialDynamicSchema,
    userScoped: true,
    columns: [
      col('target_user_id', 'text'),
      col('connection', 'text'),
      col('interaction', 'text'),
      col('interaction_params', 'json'),
    ],
  },
};

/** The types that arrive only in files: no JSON endpoint (`path: null`). */
export const FILE_RECORD_TYPE_DEFS: Readonly<Record<FileRecordType, RecordTypeDef>> = {
  kpis: {
    type: 'kpis',
    bodyKey: 'kpis',
    noun: 'KPIs',
    path: null,
    schema: KpiSchema,
    userScoped: true,
    columns: [
      col('register_date', 'date'),
      col('churn_date', 'date'),
      col('kpi_id', 'text'),
      col('value', 'float'),
    ],
  },
  survey_answers: {
    type: 'survey_answers',
    bodyKey: 'survey_answers',
    noun: 'survey answers',
    path: null,
    schema: SurveyAnswerSchema,
    userScoped: true,
    columns: [col('question_id', 'text'), col('value', 'text')],
  },
};

/** Every record type's definition, whatever channel it arrives by. */
export const ALL_RECORD_TYPE_DEFS: Readonly<Record<AnyRecordType, RecordTypeDef>> = {
  ...RECORD_TYPE_DEFS,
  ...FILE_RECORD_TYPE_DEFS,
};

/** First-version (game-scoped) schemas: `player_id` where the current API says `user_id`. */
export const GameActionSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    player_id: text('Unique player ID'),
    action_id: text('Action ID specific to the game'),
    action_name: text('User-friendly name, for example: "buy_item", "start_fight"'),
    action_params: KeyValueList('Map of action params'),
  },
  {
    timestamp: 1000000000,
    player_id: '1001',
    action_id: '2002',
    action_name: 'buy_item',
    action_params: [{ key: 'item_id', value: '3003' }],
  },
);

export const GamePlayerSchema = record(
  {
    timestamp: Type.Optional(TimestampSchema),
    player_id: text('Unique player ID'),
    level: Type.Optional(int32("Player's level or rank in the game")),
    device: optionalText('Device player is using, e.g. iPad, iPhone X'),
    platform: optionalText('Platform player is using, e.g. Steam'),
    language: LoginSchema.properties.language as TSchema,
  },
  { timestamp: 1000000000, player_id: '1001', level: 10, device: 'iPhone X', language: 'en-US' },
);
