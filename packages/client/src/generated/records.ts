// Generated from the server’s OpenAPI document by scripts/client-types.ts: do not edit.
// `npm run client-types` rewrites it; test/client/types-drift.test.ts fails when it is stale.

export interface ActionRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** Action ID specific to your app */
  action_id: string;
  /** User-friendly name, for example: "buy_item", "start_fight" */
  action_name: string;
  /** Map of action params */
  action_params?: {
    /** Param key */
    key: string;
    /** Param value */
    value: string;
  }[];
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface LoginRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** Clan/guild/organization the user belongs to */
  clan_id?: string;
  /** User's level or rank in the app */
  level?: number;
  /** Device of the user, e.g. iPad, iPhone X */
  device?: string;
  /** ISO 3166-1 alpha-2 country (2 letters) */
  country?: string;
  /** Platform user is using, e.g. Steam */
  platform?: string;
  /** User's language as an IETF tag, e.g. en-US */
  language?: string;
  /** YYYY-MM-DD */
  register_date?: string;
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  last_login_timestamp?: string | number;
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface PurchaseRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** In app Item ID */
  item_id: string;
  /** Number of items purchased */
  count: number;
  /** Total money spent on the purchase */
  price: number;
  /** Platform user is using, e.g. Steam */
  platform?: string;
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface VirtualPurchaseRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** In-app Item ID */
  item_id: string;
  /** Number of items purchased */
  count: number;
  /** Total virtual currency spent on the purchase */
  virtual_price: number;
  /** Currency of the purchase, e.g. "gold", "tokens", "crowns" */
  currency: string;
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface LevelUpRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** New level after level-up */
  level: number;
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface ItemRecord {
  /** Unique item ID */
  item_id: string;
  /** Price of the item */
  price: number;
  /** Currency of the price, e.g. "JPY", "CNY", "USD", "gold" */
  currency: string;
  /** Item name */
  name: string;
  /** Item type, e.g. "weapon" */
  type?: string;
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface SocialDynamicsRecord {
  /** must be a timestamp: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601 or epoch seconds; 13 digits are read as milliseconds. Missing: the time the batch was received. */
  timestamp?: string | number;
  /** Unique user ID */
  user_id: string;
  /** ID of the user with whom a link is made or who is unlinked */
  target_user_id: string;
  /** "linked" or "unlinked" ("unllinked", as the original documents spell it, is accepted) */
  connection?: 'linked' | 'unlinked' | 'unllinked';
  /** e.g. "friend", "party", "message_sent", "gift_sent" */
  interaction: string;
  /** Params of the interaction */
  interaction_params?: {
    /** Param key */
    key: string;
    /** Param value */
    value: string;
  }[];
  /** Fields beyond the documented ones are kept by the server. */
  [field: string]: unknown;
}

export interface IngestAnswer {
  code: number;
  message: string;
  data: null;
}

export interface PlaytimeRecord {
  /** End of the session, "YYYY-MM-DD HH:MM:SS" UTC */
  last_time_played: string | number;
  /** Length of the session in hours */
  total_hours: number;
  /** Names the record in errors */
  record_id?: string | number;
  /** The player e-mail (compared case-insensitively) */
  user_email?: string;
  /** With blockchain */
  wallet_address?: string;
  /** avalanche, base, ethereum, polygon, ronin, solana or sui */
  blockchain?: string;
  /** steam, xbox, psn, epic, discord, …; with platform_user_id */
  platform?: string;
  platform_user_id?: string;
}

export interface AchievementRecord {
  achievement_title: string;
  achievement_description?: string;
  /** Default true */
  unlocked?: boolean;
  /** Epoch seconds */
  unlock_time?: string | number;
  /** Names the record in errors */
  record_id?: string | number;
  /** The player e-mail (compared case-insensitively) */
  user_email?: string;
  /** With blockchain */
  wallet_address?: string;
  /** avalanche, base, ethereum, polygon, ronin, solana or sui */
  blockchain?: string;
  /** steam, xbox, psn, epic, discord, …; with platform_user_id */
  platform?: string;
  platform_user_id?: string;
}

export interface ForgeResult {
  records_processed: number;
}

export interface ForgeErrorBody {
  records_processed: number;
  records_failed?: number;
  errors: {
    record_id?: string;
    message: string;
  }[];
}

export interface QuestProgress {
  quest_id: string;
  type: string;
  current: number;
  target: number;
  /** Whole, capped at 100 */
  percent: number;
  completed_at: string | null;
}

export interface AssessmentRegistration {
  /** When the link stops working, epoch seconds (30 days after registering) */
  expires_at: number;
  /** Pass as `?playerid=` in the survey link */
  token: string;
  /** "requested" unless the player already finished the survey (completed or disqualified) */
  status: 'requested' | 'completed' | 'disqualified';
}

export interface AssessmentStatus {
  completed: boolean;
  /** Epoch seconds; 0 while not completed */
  completed_at: number;
}

export interface AssessmentDetails {
  result_ok: boolean;
  data: {
    status: 'Launched' | 'Closed' | 'Deleted';
    /** YYYY-MM-DD HH:MM:SS, UTC */
    created_on: string;
    /** YYYY-MM-DD HH:MM:SS, UTC */
    modified_on: string;
    completed_at: number;
    type: string;
    title: string;
    internal_title: string;
    statistics: {
      Partial: number;
      Disqualified: number;
      Complete: number;
    };
  };
}

export interface PersonaUserIds {
  ids: string[];
}

export interface PersonaTraits {
  agreeableness: {
    Altruism: number;
    Modesty: number;
    Trust: number;
  };
  communication: {
    Feeler: number;
    Intuitor: number;
    Sensor: number;
    Thinker: number;
  };
  competitiveness: {
    Avoidant: number;
    Collaborative: number;
    'Competitive affectivity': number;
    Dependent: number;
    Dominant: number;
    'General competitiveness': number;
    Independent: number;
    'Personal enhancement': number;
  };
  conscientiousness: {
    'Achievement striving': number;
    Competence: number;
    'Self-discipline': number;
  };
  coreMotivations: {
    Autonomy: number;
    Mastery: number;
    Purpose: number;
  };
  culture: {
    Individualism: number;
    Indulgence: number;
    'Long term orientation': number;
    Masculinity: number;
    'Power distance': number;
    'Uncertainty avoidance': number;
  };
  extraversion: {
    Activity: number;
    Assertiveness: number;
    Warmth: number;
  };
  motivations: {
    'Compensatory effort': number;
    Competitiveness: number;
    'Confidence in success': number;
    'Difficult tasks': number;
    Dominance: number;
    'Eagerness to learn': number;
    Engagement: number;
    Fearlessness: number;
    Flexibility: number;
    Flow: number;
    'Goal setting': number;
    Independence: number;
    Internality: number;
    Persistence: number;
    'Pride in productivity': number;
    'Self-control': number;
    'Status orientation': number;
  };
  neuroticism: {
    Anxiety: number;
    Impulsiveness: number;
    Vulnerability: number;
  };
  openness: {
    Actions: number;
    Empathy: number;
    Fantasy: number;
  };
  personality: {
    Agreeableness: number;
    Conscientiousness: number;
    Extraversion: number;
    Neuroticism: number;
    Openness: number;
  };
  wellBeing: {
    Autonomy: number;
    'Bounded reciprocity': number;
    Grit: number;
    Mastery: number;
    'Physical activity level': number;
    'Physical well-being': number;
    'Psychological well-being': number;
    Purpose: number;
    Resilience: number;
    Sleep: number;
    'Social well-being': number;
  };
}

export interface UserDataDeletion {
  deleted: number;
  /** True while the event backend (ClickHouse) is still removing the records in the background; reads already leave them out. */
  pending: boolean;
}

/** Each pushed type’s endpoint, the key its array goes under, and the most records one request takes. */
export const RECORD_ENDPOINTS = {
  actions: { path: '/v1/actions', bodyKey: 'actions', maxBatch: 1000 },
  logins: { path: '/v1/logins', bodyKey: 'users', maxBatch: 1000 },
  purchases: { path: '/v1/purchases', bodyKey: 'purchases', maxBatch: 1000 },
  virtual_purchases: { path: '/v1/virtual-purchases', bodyKey: 'virtual_purchases', maxBatch: 1000 },
  level_ups: { path: '/v1/level-ups', bodyKey: 'level_ups', maxBatch: 1000 },
  items: { path: '/v1/items', bodyKey: 'items', maxBatch: 1000 },
  social_dynamics: { path: '/v1/social-dynamics', bodyKey: 'social_dynamics', maxBatch: 1000 },
} as const;

export type RecordType = keyof typeof RECORD_ENDPOINTS;

/** The record each type takes. */
export interface RecordTypes {
  actions: ActionRecord;
  logins: LoginRecord;
  purchases: PurchaseRecord;
  virtual_purchases: VirtualPurchaseRecord;
  level_ups: LevelUpRecord;
  items: ItemRecord;
  social_dynamics: SocialDynamicsRecord;
}
