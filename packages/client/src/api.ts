/**
 * Thin typed calls to the 12traits and Forge APIs: one request each, no queue. Errors are thrown
 * as TraitforgeHttpError (status and parsed body); network failures as the runtime's own error.
 */
import { parseRetryAfter } from './backoff.js';
import { TraitforgeHttpError } from './errors.js';
import type {
  AchievementRecord,
  AssessmentDetails,
  AssessmentRegistration,
  AssessmentStatus,
  ForgeResult,
  IngestAnswer,
  PersonaTraits,
  PersonaUserIds,
  PlaytimeRecord,
  QuestProgress,
  RecordType,
  RecordTypes,
  UserDataDeletion,
} from './generated/records.js';
import { RECORD_ENDPOINTS } from './generated/records.js';

export interface ApiOptions {
  /** The server, e.g. `https://traitforge.example.com`. */
  baseUrl: string;
  /** A 12traits dashboard key (production or sandbox). */
  apiKey: string;
  /** A Forge partner key, for the Forge methods. */
  forgeKey?: string;
  /** Replaces the global `fetch` (tests, proxies, custom agents). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  method: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: string | Uint8Array | FormData;
  forge?: boolean;
}

/** The CSV upload's answer: the file is stored, its ingestion runs in the background. */
export interface CsvIngestionStarted {
  estimated_time_to_complete: number;
  ingestion_id: string;
}

/** `GET /v1/ingestions/:id` (the route declares no response schema; docs/api.md documents it). */
export interface IngestionStatus {
  ingestion_id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  rows_accepted: number;
  rows_rejected: number;
  errors: { line: number; field?: string; message: string }[];
  created_at: string;
  finished_at: string | null;
}

/** One identity of a Forge player, as `GET /player/progress` takes it. */
export type ForgeIdentity =
  | { user_email: string }
  | { wallet_address: string; blockchain: string }
  | { platform: string; platform_user_id: string };

export interface UserIdsPage extends PersonaUserIds {
  /** Pass as `after` for the next page; undefined on the last one. */
  nextAfter: string | undefined;
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class TraitforgeApi {
  protected readonly baseUrl: string;
  protected readonly apiKey: string;
  private readonly forgeKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.forgeKey = options.forgeKey;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** One request; resolves with the response when it is 2xx, else throws TraitforgeHttpError. */
  protected async request(options: RequestOptions): Promise<{ response: Response; body: unknown }> {
    const url = new URL(this.baseUrl + options.path);
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { ...options.headers };
    if (options.forge) {
      if (!this.forgeKey) throw new TypeError('forgeKey is required for the Forge API');
      headers['x-api-key'] = this.forgeKey;
    } else {
      headers.authorization = `Bearer ${this.apiKey}`;
    }
    const init: RequestInit = { method: options.method, headers };
    if (options.body !== undefined) init.body = options.body;
    const response = await this.fetchImpl(url, init);
    const body = await parseBody(response);
    if (!response.ok)
      throw new TraitforgeHttpError(
        response.status,
        body,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    return { response, body };
  }

  private async json<T>(method: string, path: string, payload?: unknown, forge = false): Promise<T> {
    const { body } = await this.request({
      method,
      path,
      forge,
      ...(payload === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }),
    });
    return body as T;
  }

  private async data<T>(method: string, path: string, payload?: unknown): Promise<T> {
    return (await this.json<{ data: T }>(method, path, payload)).data;
  }

  /** Sends one batch at once (1 to 1000 records), bypassing the queue. */
  send<T extends RecordType>(
    type: T,
    records: RecordTypes[T][],
    idempotencyKey?: string,
  ): Promise<IngestAnswer> {
    const endpoint = RECORD_ENDPOINTS[type];
    return this.request({
      method: 'POST',
      path: endpoint.path,
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body: JSON.stringify({ [endpoint.bodyKey]: records }),
    }).then(({ body }) => body as IngestAnswer);
  }

  /** `POST /v1/kpis/csv` or `/v1/survey-data/csv`: uploads a CSV file (multipart field `file`). */
  async uploadCsv(
    kind: 'kpis' | 'survey-data',
    csv: Blob | string,
    filename = `${kind}.csv`,
  ): Promise<CsvIngestionStarted> {
    const form = new FormData();
    form.append('file', typeof csv === 'string' ? new Blob([csv], { type: 'text/csv' }) : csv, filename);
    const { body } = await this.request({ method: 'POST', path: `/v1/${kind}/csv`, body: form });
    return (body as { data: CsvIngestionStarted }).data;
  }

  /** `GET /v1/ingestions/:id`: how a CSV upload's ingestion is going. */
  ingestion(id: string): Promise<IngestionStatus> {
    return this.data('GET', `/v1/ingestions/${encodeURIComponent(id)}`);
  }

  /** `POST /v1/assessment/user/register`: a survey link token for the player. */
  registerAssessment(id: string): Promise<AssessmentRegistration> {
    return this.data('POST', '/v1/assessment/user/register', { id });
  }

  /** `GET /v1/assessment/user/status`: whether the player completed the survey. */
  assessmentStatus(id: string): Promise<AssessmentStatus> {
    return this.data('GET', `/v1/assessment/user/status?id=${encodeURIComponent(id)}`);
  }

  /** `GET /v1/assessment`: the survey's details and statistics. */
  assessment(): Promise<AssessmentDetails> {
    return this.data('GET', '/v1/assessment');
  }

  /** One page of a persona's member ids (`persona` from 1, or `all`; segment `default` = everyone). */
  async personaUserIds(
    segment: string,
    persona: number | 'all',
    page: { limit?: number; after?: string } = {},
  ): Promise<UserIdsPage> {
    const { response, body } = await this.request({
      method: 'GET',
      path: `/v1/segments/${encodeURIComponent(segment)}/personas/${encodeURIComponent(String(persona))}/user-ids`,
      query: { limit: page.limit, after: page.after },
    });
    return {
      ...(body as { data: PersonaUserIds }).data,
      nextAfter: response.headers.get('x-next-after') ?? undefined,
    };
  }

  /** Every member id of a persona, following the X-Next-After cursor page by page. */
  async *allPersonaUserIds(segment: string, persona: number | 'all', limit?: number): AsyncGenerator<string> {
    let after: string | undefined;
    do {
      const page = await this.personaUserIds(segment, persona, {
        ...(limit === undefined ? {} : { limit }),
        ...(after === undefined ? {} : { after }),
      });
      yield* page.ids;
      after = page.nextAfter;
    } while (after !== undefined);
  }

  /** `GET /v1/segments/:segment/personas/:persona/traits`: the persona's mean traits. */
  personaTraits(segment: string, persona: number | 'all'): Promise<PersonaTraits> {
    return this.data(
      'GET',
      `/v1/segments/${encodeURIComponent(segment)}/personas/${encodeURIComponent(String(persona))}/traits`,
    );
  }

  /** `DELETE /v1/userData`: removes every record of the player; resolves with how many went. */
  deleteUserData(id: string): Promise<UserDataDeletion> {
    return this.data('DELETE', '/v1/userData', { id });
  }

  /** Forge `POST /player/playtime`: sessions (one or many). A partial refusal throws (status 400). */
  playtime(records: PlaytimeRecord | PlaytimeRecord[]): Promise<ForgeResult> {
    return this.json('POST', '/player/playtime', records, true);
  }

  /** Forge `POST /player/achievement`. */
  achievement(records: AchievementRecord | AchievementRecord[]): Promise<ForgeResult> {
    return this.json('POST', '/player/achievement', records, true);
  }

  /** Forge `GET /player/progress`: the player's quests and how far along each is. */
  async progress(identity: ForgeIdentity): Promise<QuestProgress[]> {
    const { body } = await this.request({
      method: 'GET',
      path: '/player/progress',
      query: { ...identity },
      forge: true,
    });
    return body as QuestProgress[];
  }
}
