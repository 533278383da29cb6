import { gunzipSync } from 'node:zlib';

/** Actions with unique ids spread over `users` players (so each player's rows fit one admin page). */
export function actions(count: number, tag: string, users = 50) {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: '2024-03-01 12:00:00',
    user_id: `${tag}-u${i % users}`,
    action_id: `${tag}-${i}`,
    action_name: 'level_start',
  }));
}

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  /** The JSON body, gunzipped when it was sent gzipped. */
  body: Record<string, unknown[]>;
  status: number | 'network error';
  at: number;
}

export type Fault = (call: number, request: SentRequest) => Response | 'drop-answer' | 'refuse' | undefined;

/**
 * A fetch that records every request the client makes and lets a test answer some of them itself:
 * a Response (e.g. a 503), 'refuse' (a network error before the server sees it) or 'drop-answer'
 * (the server stores the batch, then the connection fails before the client hears the answer).
 */
export function recordingFetch(fault: Fault = () => undefined) {
  const sent: SentRequest[] = [];
  const impl: typeof fetch = async (input, init) => {
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    let body: Record<string, unknown[]> = {};
    const raw = init?.body;
    if (raw instanceof Uint8Array) body = JSON.parse(gunzipSync(raw).toString('utf8')) as typeof body;
    else if (typeof raw === 'string') body = JSON.parse(raw) as typeof body;
    const request: SentRequest = {
      url: input instanceof Request ? input.url : input.toString(),
      headers,
      body,
      status: 'network error',
      at: Date.now(),
    };
    sent.push(request);
    const action = fault(sent.length, request);
    if (action === 'refuse') throw new TypeError('fetch failed');
    if (action instanceof Response) {
      request.status = action.status;
      return action;
    }
    const response = await fetch(input, init);
    if (action === 'drop-answer') throw new TypeError('fetch failed');
    request.status = response.status;
    return response;
  };
  return { sent, fetch: impl };
}

/** The records of one request body (whatever its key). */
export function records(request: SentRequest): unknown[] {
  return Object.values(request.body)[0] ?? [];
}
