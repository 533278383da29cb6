import { createPrivateKey, createSign } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Storage, type Bucket, type File } from '@google-cloud/storage';
// A dependency of @google-cloud/storage (9.x, the one the SDK itself uses), imported for its
// OAuth2Client: the SDK accepts it as `authClient`.
import { OAuth2Client } from 'google-auth-library';
import { SourceError, type ObjectInfo, type ObjectSource } from './object-source.js';

/** The fields of a Google service-account key file (`"type": "service_account"`) this source uses. */
export interface ServiceAccount {
  type?: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  /** Where the signed JWT is exchanged for an access token; Google's token endpoint by default. */
  token_uri?: string;
}

export interface GcsSourceOptions {
  bucket: string;
  /** Only objects under this prefix; keys are reported without it. */
  prefix?: string;
  /** A service account's key; without one, the SDK's default credentials (ADC), or none with `apiEndpoint`. */
  credentials?: ServiceAccount;
  /** Another JSON-API endpoint than `https://storage.googleapis.com`, e.g. `http://127.0.0.1:4443`. */
  apiEndpoint?: string;
  /** Objects per listing page (the service's default, 1000, when unset). */
  pageSize?: number;
  /** Retries of a request that failed for a reason worth retrying, connection errors included (2). */
  maxRetries?: number;
}

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** Listing and reading objects is all a source does. */
const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

/**
 * The service-account JSON of a storage connection, checked: valid JSON, a service account (not
 * another credential type), a `client_email`, a PEM `private_key` and an http(s) `token_uri`.
 * Messages never echo the key or any other value of the JSON.
 */
export function parseServiceAccount(json: string): ServiceAccount {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    // V8's message can quote the input (the private key): keep only the position.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new Error(`the service account JSON is not valid JSON${at ? ` (at position ${at})` : ''}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('the service account JSON must be an object (a service account key file)');
  }
  const account = value as Record<string, unknown>;
  if (account.type !== undefined && account.type !== 'service_account') {
    throw new Error(
      `the credentials must be a service account key ("type": "service_account"), not ${JSON.stringify(account.type).slice(0, 40)}`,
    );
  }
  const email = account.client_email;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new Error('the service account JSON has no client_email (an e-mail address)');
  }
  const key = account.private_key;
  if (typeof key !== 'string' || key === '') {
    throw new Error('the service account JSON has no private_key');
  }
  try {
    if (createPrivateKey(key).asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new Error(`the private_key of ${email} is not a PEM RSA private key`);
  }
  const optional = (field: string): string | undefined => {
    const v = account[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new Error(`the service account's ${field} must be a string`);
    return v;
  };
  const tokenUri = optional('token_uri');
  if (tokenUri !== undefined && !/^https?:\/\/[^\s]+$/.test(tokenUri)) {
    throw new Error("the service account's token_uri must be an http(s) URL");
  }
  const keyId = optional('private_key_id');
  const projectId = optional('project_id');
  return {
    type: 'service_account',
    client_email: email,
    private_key: key,
    ...(keyId ? { private_key_id: keyId } : {}),
    ...(projectId ? { project_id: projectId } : {}),
    ...(tokenUri ? { token_uri: tokenUri } : {}),
  };
}

/** The token endpoint refused the service account, or could not be reached. */
class TokenError extends Error {
  override name = 'TokenError';
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * An access token for the service account: a JWT signed with its key (RS256), exchanged at its
 * `token_uri` (the OAuth 2.0 JWT-bearer grant, RFC 7523, Google's server-to-server flow).
 * google-auth-library does the same but always posts to Google's URL and ignores `token_uri`;
 * doing it here honours the key file and lets the tests exercise the whole flow.
 */
async function fetchAccessToken(
  account: ServiceAccount,
): Promise<{ access_token: string; expiry_date: number }> {
  const tokenUri = account.token_uri ?? GOOGLE_TOKEN_URI;
  const now = Math.floor(Date.now() / 1000);
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    ...(account.private_key_id ? { kid: account.private_key_id } : {}),
  };
  const claims = {
    iss: account.client_email,
    scope: READ_ONLY_SCOPE,
    aud: tokenUri,
    iat: now,
    exp: now + 3600,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(account.private_key);
  let response: Response;
  try {
    response = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: `${unsigned}.${base64url(signature)}`,
      }).toString(),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TokenError(
      `unable to reach the token endpoint ${tokenUri}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: unknown;
    expires_in?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason = [body.error, body.error_description].filter((s) => typeof s === 'string').join(': ');
    throw new TokenError(
      `the token endpoint refused the service account ${account.client_email} (HTTP ${response.status})` +
        (reason ? `: ${reason.slice(0, 200)}` : ''),
    );
  }
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 3600;
  return { access_token: body.access_token, expiry_date: Date.now() + lifetime * 1000 };
}

/** A short reason for an SDK error: the service's reason, HTTP status and message, never a header. */
function describe(error: unknown): string {
  if (error instanceof TokenError) return error.message;
  const e = error as {
    name?: string;
    message?: string;
    code?: number | string;
    errors?: { reason?: string }[];
  };
  let message = e.message ?? String(error);
  let reason = e.errors?.[0]?.reason;
  // A failed download carries the raw error body as its message.
  try {
    const body = JSON.parse(message) as { error?: { message?: string; errors?: { reason?: string }[] } };
    if (body.error?.message) message = body.error.message;
    reason ??= body.error?.errors?.[0]?.reason;
  } catch {
    // a plain message
  }
  message = message.split('\n')[0]!.slice(0, 300);
  if (typeof e.code === 'number') return `${reason ?? 'error'} (HTTP ${e.code}): ${message}`;
  return `${typeof e.code === 'string' ? e.code : (e.name ?? 'Error')}: ${message}`;
}

/** A Google Cloud Storage bucket, through the JSON API, as a source. */
export class GcsObjectSource implements ObjectSource {
  private readonly bucket: Bucket;
  private readonly base: string;
  private auth: OAuth2Client | undefined;

  constructor(private readonly options: GcsSourceOptions) {
    this.base = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    const account = options.credentials;
    if (account) {
      this.auth = new OAuth2Client();
      // One exchange at a time; the client caches the token until shortly before it expires.
      let pending: ReturnType<typeof fetchAccessToken> | undefined;
      this.auth.refreshHandler = () =>
        (pending ??= fetchAccessToken(account).finally(() => {
          pending = undefined;
        }));
    }
    const storage = new Storage({
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(this.auth ? { authClient: this.auth, useAuthWithCustomEndpoint: true } : {}),
      ...(account?.project_id ? { projectId: account.project_id } : {}),
      // (The SDK reads `maxRetries: 0` as "the default, 3": no retries is `autoRetry: false`.)
      retryOptions: options.maxRetries === 0 ? { autoRetry: false } : { maxRetries: options.maxRetries ?? 2 },
    });
    this.bucket = storage.bucket(options.bucket);
  }

  location(key: string): string {
    const store = this.options.apiEndpoint ? `${this.options.apiEndpoint.replace(/\/+$/, '')}/` : '';
    return `gs://${store}${this.options.bucket}/${this.base}${key}`;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    let pageToken: string | undefined;
    do {
      let files: File[];
      let response: { nextPageToken?: string } | undefined;
      try {
        [files, , response] = (await this.bucket.getFiles({
          prefix: this.base + prefix,
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
          ...(this.options.pageSize ? { maxResults: this.options.pageSize } : {}),
        })) as [File[], unknown, { nextPageToken?: string } | undefined];
      } catch (error) {
        throw new SourceError(`unable to connect to gcs bucket ${this.options.bucket}: ${describe(error)}`);
      }
      for (const file of files) {
        if (file.name.endsWith('/')) continue;
        const { md5Hash, generation, etag, size, updated } = file.metadata;
        const modifiedAt = updated === undefined ? NaN : Date.parse(updated);
        yield {
          key: file.name.slice(this.base.length),
          // The content's MD5 changes exactly when the bytes do: not on a metadata update (which
          // changes GCS's `etag`, a hash of generation and metageneration) nor on re-uploading the
          // same bytes (a new `generation`), either of which would read the file again into a new
          // dedupe channel and store its rows twice. Composite objects have no MD5: their
          // generation, which changes whenever the object is rewritten.
          etag: md5Hash ?? (generation !== undefined ? `generation:${generation}` : (etag ?? '')),
          size: Number(size ?? 0),
          ...(Number.isFinite(modifiedAt) ? { modifiedAt } : {}),
        };
      }
      pageToken = response?.nextPageToken || undefined;
    } while (pageToken);
  }

  async open(key: string): Promise<Readable> {
    const name = this.base + key;
    const fail = (error: unknown) =>
      new SourceError(`unable to read gs://${this.options.bucket}/${name}: ${describe(error)}`);
    // The download starts when the stream is first read and reports a missing object or a refusal
    // as a stream error: start it here and wait for the response, so that they reject `open`.
    const stream = this.bucket.file(name).createReadStream();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: unknown) => {
        stream.off('response', onResponse);
        reject(fail(error));
      };
      const onResponse = (response: { statusCode?: number }) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) return; // the error follows
        stream.off('error', onError);
        stream.off('response', onResponse);
        resolve();
      };
      stream.once('error', onError);
      stream.on('response', onResponse);
      stream.read(0);
    });
    return stream;
  }

  /** Forgets the cached access token; there are no connections to close. */
  destroy(): void {
    this.auth?.setCredentials({});
  }
}
