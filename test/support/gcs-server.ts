/**
 * A stand-in for the Google Cloud Storage JSON API, written for the tests (no GCS emulator installs
 * on this machine): buckets in memory, on node:http at 127.0.0.1 and a free port, in-process.
 *
 * It answers the requests `@google-cloud/storage` makes for what Traitforge does with a bucket:
 *   GET  /storage/v1/b/:bucket/o?prefix&pageToken&maxResults     list, paged (nextPageToken)
 *   GET  /storage/v1/b/:bucket/o/:object                          an object's resource
 *   GET  /storage/v1/b/:bucket/o/:object?alt=media                its bytes, with x-goog-hash
 *        (objects stored with `contentEncoding: gzip` served gzipped or transcoded, as GCS does)
 *   POST /upload/storage/v1/b/:bucket/o?uploadType=multipart|media  `file.save(…, {resumable: false})`
 *   POST …?uploadType=resumable, then PUT …&upload_id (Content-Range, 308 + Range until the last
 *        chunk)                                                 `file.save()`, `bucket.upload()`
 *   POST /token                                                    the service-account JWT-bearer grant
 * with GCS-shaped JSON errors (`{"error": {"code", "message", "errors": [...]}}`).
 *
 * Authentication: once a service account is registered (`addServiceAccount`), every storage request
 * needs `Authorization: Bearer <token>` with a token from `/token`, which verifies the JWT's RS256
 * signature against the account's public key, its issuer, audience, lifetime and scope. A bucket
 * made with `readers` answers 403 to other accounts. Without a registered account the stand-in
 * runs unauthenticated.
 */
import { createHash, createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface GcsStandInOptions {
  /** The most objects one listing page holds, whatever `maxResults` asks (GCS: 1000). */
  maxPageSize?: number;
}

interface StoredObject {
  name: string;
  data: Buffer;
  contentType: string;
  /** `gzip`: the bytes are gzipped and served decompressed to clients that do not accept gzip. */
  contentEncoding: string | undefined;
  generation: number;
  metageneration: number;
  created: string;
  updated: string;
}

interface StoredBucket {
  objects: Map<string, StoredObject>;
  /** Service-account e-mails allowed to read; anyone authenticated when unset. */
  readers: Set<string> | undefined;
  /** Uploads without a token are accepted (IAM `allUsers: objectCreator`). */
  publicWrite: boolean;
}

const READ_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/devstorage.read_write',
  'https://www.googleapis.com/auth/devstorage.full_control',
  'https://www.googleapis.com/auth/cloud-platform',
];
const WRITE_SCOPES = READ_SCOPES.slice(1);

/** CRC-32C (Castagnoli), the checksum GCS reports in `crc32c` and `x-goog-hash`. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

/** The object metadata of an upload that the stand-in keeps. */
interface UploadMetadata {
  name?: string;
  contentType?: string;
  contentEncoding?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'The request body is too large for the stand-in.', 'uploadTooLarge'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The parts of a `multipart/related` body: each part's headers (lower-cased) and bytes. */
function parseMultipartRelated(
  body: Buffer,
  contentType: string,
): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new HttpError(400, 'Missing multipart boundary.', 'invalid');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) throw new HttpError(400, 'Unterminated multipart body.', 'invalid');
    let part = body.subarray(start, next);
    if (part.subarray(-2).toString() === '\r\n') part = part.subarray(0, -2);
    const split = part.indexOf('\r\n\r\n');
    const head = split === -1 ? '' : part.subarray(0, split).toString('utf8');
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: split === -1 ? part : part.subarray(split + 4) });
    at = next;
  }
  return parts;
}

export class GcsStandIn {
  readonly buckets = new Map<string, StoredBucket>();
  /** Every request, as `METHOD path?query`, for tests that look at what the SDK sent. */
  readonly requests: string[] = [];
  private readonly accounts = new Map<string, KeyObject>();
  private readonly tokens = new Map<string, { email: string; scopes: string[]; expires: number }>();
  private readonly sessions = new Map<
    string,
    { bucket: string; name: string; metadata: UploadMetadata; chunks: Buffer[]; received: number }
  >();
  /** The scopes each token from `/token` was issued for, in order. */
  readonly grants: { email: string; scopes: string[] }[] = [];
  private nextGeneration = 1_700_000_000_000_000;
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly options: GcsStandInOptions = {}) {}

  /** The `apiEndpoint` to give the SDK. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `token_uri` of service accounts registered here. */
  get tokenUri(): string {
    return `${this.url}/token`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.fail(res, error);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }

  /**
   * `publicWrite` lets fixtures go in by resumable upload: @google-cloud/storage 7.22 does not pass
   * `useAuthWithCustomEndpoint` on to resumable uploads, which go to a custom endpoint without a token.
   */
  createBucket(name: string, options: { readers?: string[]; publicWrite?: boolean } = {}): void {
    this.buckets.set(name, {
      objects: new Map(),
      readers: options.readers ? new Set(options.readers) : undefined,
      publicWrite: options.publicWrite ?? false,
    });
  }

  /** Turns authentication on: this account may get tokens, signed by the key of `publicKey`. */
  addServiceAccount(email: string, publicKey: string | KeyObject): void {
    this.accounts.set(email, typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey);
  }

  /** A token as `/token` would issue it, for fixture uploads with a write scope. */
  issueToken(email: string, scopes: string[] = ['https://www.googleapis.com/auth/devstorage.full_control']) {
    const token = `ya29.standin-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { email, scopes, expires: Date.now() + 3600_000 });
    return token;
  }

  private put(bucket: StoredBucket, name: string, data: Buffer, metadata: UploadMetadata): StoredObject {
    const now = new Date().toISOString();
    const previous = bucket.objects.get(name);
    const object: StoredObject = {
      name,
      data,
      contentType: metadata.contentType ?? 'application/octet-stream',
      contentEncoding: metadata.contentEncoding,
      generation: this.nextGeneration++,
      metageneration: 1,
      created: previous?.created ?? now,
      updated: now,
    };
    bucket.objects.set(name, object);
    return object;
  }

  private resource(bucketName: string, o: StoredObject) {
    const path = `b/${bucketName}/o/${encodeURIComponent(o.name)}`;
    return {
      kind: 'storage#object',
      id: `${bucketName}/${o.name}/${o.generation}`,
      selfLink: `${this.url}/storage/v1/${path}`,
      mediaLink: `${this.url}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: bucketName,
      generation: String(o.generation),
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: md5(o.data),
      crc32c: crc32c(o.data),
      etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
      timeCreated: o.created,
      updated: o.updated,
      timeStorageClassUpdated: o.created,
    };
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private fail(res: ServerResponse, error: unknown): void {
    const e =
      error instanceof HttpError
        ? error
        : new HttpError(500, `stand-in error: ${String(error)}`, 'backendError');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, e.status, {
      error: {
        code: e.status,
        message: e.message,
        errors: [{ message: e.message, domain: 'global', reason: e.reason }],
      },
    });
  }

  /** The caller's account when authentication is on (undefined when off); 401 without a valid token. */
  private caller(req: IncomingMessage, scopes: string[]): string | undefined {
    if (this.accounts.size === 0) return undefined;
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const grant = token ? this.tokens.get(token) : undefined;
    if (!grant || grant.expires < Date.now()) {
      throw new HttpError(
        401,
        token ? 'Invalid Credentials' : 'Anonymous caller does not have storage.objects.list access.',
        token ? 'authError' : 'required',
      );
    }
    if (!grant.scopes.some((s) => scopes.includes(s))) {
      throw new HttpError(403, 'Provided scope(s) are not authorized', 'insufficientPermissions');
    }
    return grant.email;
  }

  private bucket(name: string, caller: string | undefined, permission: string): StoredBucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new HttpError(404, 'The specified bucket does not exist.', 'notFound');
    if (caller !== undefined && bucket.readers && !bucket.readers.has(caller)) {
      throw new HttpError(
        403,
        `${caller} does not have ${permission} access to the Google Cloud Storage bucket. Permission '${permission}' denied on resource (or it may not exist).`,
        'forbidden',
      );
    }
    return bucket;
  }

  private writable(req: IncomingMessage, name: string): StoredBucket {
    if (this.buckets.get(name)?.publicWrite && !req.headers.authorization) {
      return this.bucket(name, undefined, 'storage.objects.create');
    }
    return this.bucket(name, this.caller(req, WRITE_SCOPES), 'storage.objects.create');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const q = url.searchParams;

    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, res);

    const objectRoute = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (req.method === 'GET' && objectRoute) {
      const bucketName = decodeURIComponent(objectRoute[1]!);
      const caller = this.caller(req, READ_SCOPES);
      if (objectRoute[2] === undefined) {
        const bucket = this.bucket(bucketName, caller, 'storage.objects.list');
        this.list(res, bucketName, bucket, q);
        return;
      }
      const bucket = this.bucket(bucketName, caller, 'storage.objects.get');
      const name = decodeURIComponent(objectRoute[2]);
      const object = bucket.objects.get(name);
      if (!object || (q.has('generation') && q.get('generation') !== String(object.generation))) {
        throw new HttpError(404, `No such object: ${bucketName}/${name}`, 'notFound');
      }
      if (q.get('alt') === 'media') {
        this.media(req, res, object);
        return;
      }
      this.send(res, 200, this.resource(bucketName, object));
      return;
    }

    const uploadRoute = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (req.method === 'PUT' && uploadRoute && q.has('upload_id')) return this.resume(req, res, q);
    if (req.method === 'POST' && uploadRoute) {
      const bucketName = decodeURIComponent(uploadRoute[1]!);
      const bucket = this.writable(req, bucketName);
      const body = await readBody(req);
      const type = q.get('uploadType');
      let metadata: UploadMetadata = {};
      let data = body;
      if (type === 'multipart') {
        const parts = parseMultipartRelated(body, req.headers['content-type'] ?? '');
        if (parts.length !== 2) throw new HttpError(400, 'A multipart upload has two parts.', 'invalid');
        metadata = JSON.parse(parts[0]!.body.toString('utf8')) as UploadMetadata;
        metadata.contentType ??= parts[1]!.headers['content-type'];
        data = parts[1]!.body;
      } else if (type === 'resumable') {
        metadata = (body.length ? JSON.parse(body.toString('utf8')) : {}) as UploadMetadata;
        const name = metadata.name ?? q.get('name');
        if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
        const announced = req.headers['x-upload-content-type'];
        if (typeof announced === 'string') metadata.contentType ??= announced;
        const id = randomBytes(12).toString('base64url');
        this.sessions.set(id, { bucket: bucketName, name, metadata, chunks: [], received: 0 });
        const location = new URL(url.pathname, this.url);
        location.search = new URLSearchParams({ uploadType: 'resumable', name, upload_id: id }).toString();
        res.writeHead(200, { location: location.toString(), 'content-length': 0 });
        res.end();
        return;
      } else if (type === 'media') {
        metadata.contentType = req.headers['content-type'];
      } else {
        throw new HttpError(400, `uploadType=${type} is not supported by the stand-in.`, 'invalid');
      }
      const name = metadata.name ?? q.get('name');
      if (!name) throw new HttpError(400, 'Required parameter: name', 'required');
      this.send(res, 200, this.resource(bucketName, this.put(bucket, name, data, metadata)));
      return;
    }

    throw new HttpError(404, `Not Found (the stand-in has no ${req.method} ${url.pathname})`, 'notFound');
  }

  /** A PUT to a resumable session: `Content-Range: bytes first-last/total` (or `*`). */
  private async resume(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const session = this.sessions.get(q.get('upload_id')!);
    if (!session) throw new HttpError(404, 'No such upload session.', 'notFound');
    const bucket = this.writable(req, session.bucket);
    const body = await readBody(req);
    // (`bytes 0--1/0` is what the SDK sends for an empty object in chunked mode.)
    const range = /^bytes (?:(\d+)-(-1|\d+|\*)|\*)\/(\d+|\*)$/.exec(req.headers['content-range'] ?? '');
    if (!range) throw new HttpError(400, `Invalid Content-Range: ${req.headers['content-range']}`, 'invalid');
    const [, first, last, total] = range;
    if (first !== undefined && body.length > 0) {
      const start = Number(first);
      if (start > session.received)
        throw new HttpError(400, 'Content-Range starts past the data received.', 'invalid');
      const fresh = body.subarray(session.received - start); // bytes already received are skipped
      session.chunks.push(fresh);
      session.received += fresh.length;
    }
    // `first-*`: this request carries the rest of the object; `/total`: done once all arrived.
    if (last === '*' || (total !== '*' && Number(total) === session.received)) {
      this.sessions.delete(q.get('upload_id')!);
      const data = Buffer.concat(session.chunks);
      this.send(
        res,
        200,
        this.resource(session.bucket, this.put(bucket, session.name, data, session.metadata)),
      );
      return;
    }
    res.writeHead(308, {
      ...(session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {}),
      'content-length': 0,
    });
    res.end();
  }

  private list(res: ServerResponse, bucketName: string, bucket: StoredBucket, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const after = q.get('pageToken') ? Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8') : '';
    const asked = Number(q.get('maxResults') ?? 1000);
    const pageSize = Math.max(1, Math.min(asked || 1000, this.options.maxPageSize ?? 1000, 1000));
    const names = [...bucket.objects.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const page = names.slice(0, pageSize);
    const more = names.length > page.length;
    this.send(res, 200, {
      kind: 'storage#objects',
      ...(page.length ? { items: page.map((n) => this.resource(bucketName, bucket.objects.get(n)!)) } : {}),
      ...(more ? { nextPageToken: Buffer.from(page.at(-1)!).toString('base64url') } : {}),
    });
  }

  /**
   * The bytes, with the hashes of the stored bytes. A gzip-encoded object goes as stored to a client
   * that accepts gzip (`Content-Encoding: gzip`), else decompressed (GCS's decompressive
   * transcoding: no hash check possible then).
   */
  private media(req: IncomingMessage, res: ServerResponse, object: StoredObject): void {
    const gzipped = object.contentEncoding === 'gzip';
    const transcode = gzipped && !/\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const data = transcode ? gunzipSync(object.data) : object.data;
    res.writeHead(200, {
      'content-type': object.contentType,
      'content-length': data.length,
      ...(gzipped && !transcode ? { 'content-encoding': 'gzip' } : {}),
      'x-goog-hash': `crc32c=${crc32c(object.data)},md5=${md5(object.data)}`,
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
      'x-goog-stored-content-length': object.data.length,
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
    });
    // In 64 KiB writes, waiting for the socket to drain: the client's back-pressure holds.
    const chunk = 64 * 1024;
    let at = 0;
    const write = () => {
      while (at < data.length) {
        const piece = data.subarray(at, at + chunk);
        at += piece.length;
        if (!res.write(piece)) {
          res.once('drain', write);
          return;
        }
      }
      res.end();
    };
    write();
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    const refuse = (description: string) => {
      this.send(res, 400, { error: 'invalid_grant', error_description: description });
    };
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      this.send(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'Invalid grant_type.',
      });
      return;
    }
    const [head, payload, signature] = (form.get('assertion') ?? '').split('.');
    if (!head || !payload || !signature) {
      refuse('Invalid JWT: not a JWS.');
      return;
    }
    let header: { alg?: string };
    let claims: { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      refuse('Invalid JWT: not JSON.');
      return;
    }
    if (header.alg !== 'RS256') {
      refuse('Invalid JWT: alg must be RS256.');
      return;
    }
    const key = claims.iss ? this.accounts.get(claims.iss) : undefined;
    if (!key) {
      refuse('Invalid grant: account not found');
      return;
    }
    const valid = createVerify('RSA-SHA256')
      .update(`${head}.${payload}`)
      .verify(key, Buffer.from(signature, 'base64url'));
    if (!valid) {
      refuse('Invalid JWT Signature.');
      return;
    }
    if (claims.aud !== this.tokenUri) {
      refuse('Invalid JWT: audience is not the token endpoint.');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof claims.iat !== 'number' ||
      typeof claims.exp !== 'number' ||
      claims.iat > now + 60 ||
      claims.exp <= now ||
      claims.exp - claims.iat > 3600
    ) {
      refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
      return;
    }
    const scopes = (claims.scope ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0) {
      refuse('Invalid OAuth scope or ID token audience provided.');
      return;
    }
    this.grants.push({ email: claims.iss!, scopes });
    const token = this.issueToken(claims.iss!, scopes);
    this.send(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }
}

export async function startGcsStandIn(options: GcsStandInOptions = {}): Promise<GcsStandIn> {
  return new GcsStandIn(options).start();
}
