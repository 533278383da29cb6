import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ANY_ORIGIN, normalizeOrigin } from '../http/plugins/cors.js';
import { parseShardUrl } from '../events/clickhouse/shards.js';
import { allowEntryKind } from '../webhooks/destination-policy.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The server's settings, parsed once from the environment into a frozen object. */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  dataDir: Type.String({ minLength: 1, default: './data' }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  clickhouseUrls: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  clickhouseInsightsLagMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 120_000 }),
  processes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
  adminToken: Type.Optional(Type.String({ minLength: 16 })),
  secretKey: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$' })),
  tlsCertFile: Type.Optional(Type.String({ minLength: 1 })),
  tlsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  requireHttps: Type.Boolean({ default: false }),
  trustedProxies: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  maxBatchRecords: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  bodyLimitBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  maxUploadBytes: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024 }),
  logLevel: Type.Union(
    LOG_LEVELS.map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  shutdownTimeoutMs: Type.Integer({ minimum: 0, default: 30_000 }),
  requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000 }),
  keepAliveTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 72_000 }),
  workers: Type.Boolean({ default: true }),
  jobLeaseMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 300_000 }),
  surveyMinMsPerItem: Type.Integer({ minimum: 0, maximum: 60_000, default: 2000 }),
  webhookAllow: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  corsOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
});
export type Config = Readonly<Static<typeof ConfigSchema>>;

type Kind = 'string' | 'int' | 'bool' | 'list';

/** Environment variable → config field, with how to read its text. */
const ENV: Record<string, [keyof Config, Kind]> = {
  TRAITFORGE_PORT: ['port', 'int'],
  TRAITFORGE_HOST: ['host', 'string'],
  TRAITFORGE_DATA_DIR: ['dataDir', 'string'],
  TRAITFORGE_DATABASE_URL: ['databaseUrl', 'string'],
  TRAITFORGE_CLICKHOUSE_URL: ['clickhouseUrls', 'list'],
  TRAITFORGE_CLICKHOUSE_INSIGHTS_LAG_MS: ['clickhouseInsightsLagMs', 'int'],
  TRAITFORGE_PROCESSES: ['processes', 'int'],
  TRAITFORGE_ADMIN_TOKEN: ['adminToken', 'string'],
  TRAITFORGE_SECRET_KEY: ['secretKey', 'string'],
  TRAITFORGE_TLS_CERT: ['tlsCertFile', 'string'],
  TRAITFORGE_TLS_KEY: ['tlsKeyFile', 'string'],
  TRAITFORGE_REQUIRE_HTTPS: ['requireHttps', 'bool'],
  TRAITFORGE_TRUSTED_PROXIES: ['trustedProxies', 'list'],
  TRAITFORGE_MAX_BATCH: ['maxBatchRecords', 'int'],
  TRAITFORGE_BODY_LIMIT: ['bodyLimitBytes', 'int'],
  TRAITFORGE_MAX_UPLOAD: ['maxUploadBytes', 'int'],
  TRAITFORGE_LOG_LEVEL: ['logLevel', 'string'],
  TRAITFORGE_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', 'int'],
  TRAITFORGE_REQUEST_TIMEOUT_MS: ['requestTimeoutMs', 'int'],
  TRAITFORGE_KEEP_ALIVE_TIMEOUT_MS: ['keepAliveTimeoutMs', 'int'],
  TRAITFORGE_WORKERS: ['workers', 'bool'],
  TRAITFORGE_JOB_LEASE_MS: ['jobLeaseMs', 'int'],
  TRAITFORGE_SURVEY_MIN_MS_PER_ITEM: ['surveyMinMsPerItem', 'int'],
  TRAITFORGE_WEBHOOK_ALLOW: ['webhookAllow', 'list'],
  TRAITFORGE_CORS_ORIGINS: ['corsOrigins', 'list'],
};

/** What each setting must be, said in the operator's terms when a value is refused. */
const EXPECTED: Record<keyof Config, string> = {
  port: 'must be a port number from 0 to 65535 (0 picks a free port)',
  host: 'must be a listening address such as 127.0.0.1 or 0.0.0.0',
  dataDir: 'must be a directory path',
  databaseUrl: 'must be a postgres:// or postgresql:// URL (leave it unset for the embedded SQLite database)',
  clickhouseUrls:
    'must be one http(s):// URL or a comma-separated list of them, one per shard (leave it unset to keep events in the database)',
  clickhouseInsightsLagMs: 'must be a whole number of milliseconds from 0 to 3600000',
  processes: 'must be a whole number of HTTP processes from 1 to 1024',
  adminToken: 'must be at least 16 characters (e.g. `openssl rand -hex 24`)',
  secretKey: 'must be 32 bytes as 64 hex characters (e.g. `openssl rand -hex 32`) or base64',
  tlsCertFile: 'must name a PEM certificate file',
  tlsKeyFile: 'must name a PEM private key file',
  requireHttps: 'must be true or false',
  trustedProxies: 'must be a comma-separated list of IP addresses or CIDR ranges',
  maxBatchRecords: 'must be a whole number from 1 to 100000',
  bodyLimitBytes: 'must be a whole number of bytes, at least 1024',
  maxUploadBytes: 'must be a whole number of bytes, at least 1024',
  logLevel: `must be one of ${LOG_LEVELS.join(', ')}`,
  shutdownTimeoutMs: 'must be a whole number of milliseconds, 0 or more',
  requestTimeoutMs: 'must be a whole number of milliseconds from 1000 to 3600000',
  keepAliveTimeoutMs: 'must be a whole number of milliseconds from 1000 to 3600000',
  workers: 'must be true or false',
  jobLeaseMs: 'must be a whole number of milliseconds from 1000 to 86400000',
  surveyMinMsPerItem: 'must be a whole number of milliseconds from 0 (no speed check) to 60000',
  webhookAllow: 'must be a comma-separated list of host names, IP addresses or CIDR ranges',
  corsOrigins: 'must be a comma-separated list of origins such as https://game.example.com, or *',
};

/** Settings whose values are secret (tokens, passwords in URLs): never repeated in a message. */
const SECRET: ReadonlySet<keyof Config> = new Set([
  'adminToken',
  'databaseUrl',
  'clickhouseUrls',
  'secretKey',
]);

/** Variables with the prefix that belong to something else than the server. */
const FOREIGN_PREFIXES = ['TRAITFORGE_TEST_'];

/** Named ranges Fastify's trustProxy (proxy-addr) understands besides addresses and CIDRs. */
const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function envNameOf(field: string): string {
  return Object.entries(ENV).find(([, [f]]) => f === field)?.[0] ?? field;
}

function readValue(name: string, text: string, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      // Stray spaces (a quoted value in an env file) are never meant: paths, URLs and tokens have none.
      return text.trim();
    case 'int': {
      const trimmed = text.trim();
      if (!/^-?\d+$/.test(trimmed)) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
      return Number(trimmed);
    }
    case 'bool': {
      const trimmed = text.trim();
      if (/^(1|true|yes|on)$/i.test(trimmed)) return true;
      if (/^(0|false|no|off)$/i.test(trimmed)) return false;
      throw new ConfigError(`${name} must be true or false, got "${text}"`);
    }
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
}

/** An IP address, an address/prefix CIDR range, or one of proxy-addr's named ranges. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_PRESETS.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Reads TRAITFORGE_* variables; a bad value fails here with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, [field, kind]] of Object.entries(ENV)) {
    const text = env[name];
    if (text !== undefined && text !== '') raw[field] = readValue(name, text, kind);
  }
  return parseConfig({ ...raw, ...overrides });
}

/** Checks settings given as values (tests, the CLI, loadConfig); errors still name the variable. */
export function parseConfig(input: Record<string, unknown>): Config {
  const value = Value.Default(ConfigSchema, structuredClone(input));
  const error = Value.Errors(ConfigSchema, value).First();
  if (error) {
    const field = (error.path.replace(/^\//, '').split('/')[0] ?? '') as keyof Config;
    const expected = EXPECTED[field] as string | undefined;
    if (expected === undefined) throw new ConfigError(`invalid setting ${field}: ${error.message}`);
    const value: unknown = error.value;
    const shown =
      SECRET.has(field) || !['string', 'number', 'boolean'].includes(typeof value)
        ? ''
        : ` (got "${String(value as string | number | boolean)}")`;
    throw new ConfigError(`invalid setting ${envNameOf(field)}: it ${expected}${shown}`);
  }
  const config = value as Config;
  for (const entry of config.trustedProxies) {
    if (!isProxyAddress(entry)) {
      throw new ConfigError(
        `invalid setting TRAITFORGE_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8)`,
      );
    }
  }
  for (const entry of config.webhookAllow) {
    if (allowEntryKind(entry) === undefined) {
      throw new ConfigError(
        `invalid setting TRAITFORGE_WEBHOOK_ALLOW: "${entry}" is not a host name, IP address or CIDR range (e.g. 10.0.0.0/8)`,
      );
    }
  }
  const corsOrigins = readCorsOrigins(config.corsOrigins);
  checkClickHouseUrls(config.clickhouseUrls);
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
    const missing = config.tlsCertFile ? 'TRAITFORGE_TLS_KEY' : 'TRAITFORGE_TLS_CERT';
    throw new ConfigError(
      `TRAITFORGE_TLS_CERT and TRAITFORGE_TLS_KEY must be set together: ${missing} is missing`,
    );
  }
  if (!config.databaseUrl && config.processes !== undefined && config.processes > 1) {
    // better-sqlite3 waits for SQLite's one write lock synchronously: a process waiting on
    // another's write would stall every request it holds, and one process already batches writes.
    throw new ConfigError(
      `invalid setting TRAITFORGE_PROCESSES: ${config.processes} processes need PostgreSQL (TRAITFORGE_DATABASE_URL); ` +
        'the embedded SQLite database takes one writer at a time, so leave it unset (1) on SQLite',
    );
  }
  return Object.freeze({
    ...config,
    trustedProxies: Object.freeze([...config.trustedProxies]),
    webhookAllow: Object.freeze([...config.webhookAllow]),
    corsOrigins: Object.freeze(corsOrigins),
    clickhouseUrls: Object.freeze([...config.clickhouseUrls]),
  }) as Config;
}

/** The CORS allow-list as browsers spell origins; `*` only on its own (a list beside it means a mistake). */
function readCorsOrigins(entries: readonly string[]): string[] {
  if (entries.includes(ANY_ORIGIN)) {
    if (entries.length > 1)
      throw new ConfigError(
        'invalid setting TRAITFORGE_CORS_ORIGINS: * (any origin) must be the only entry, not part of a list',
      );
    return [ANY_ORIGIN];
  }
  return entries.map((entry) => {
    const origin = normalizeOrigin(entry);
    if (origin === undefined)
      throw new ConfigError(
        `invalid setting TRAITFORGE_CORS_ORIGINS: "${entry}" is not an origin (scheme, host and optional port, no path, e.g. https://game.example.com)`,
      );
    return origin;
  });
}

/**
 * How many HTTP processes serve the port: TRAITFORGE_PROCESSES, else every core when the data
 * lives in a server database (PostgreSQL, ClickHouse) that takes writers in parallel, else 1.
 */
export function processCount(config: Pick<Config, 'processes' | 'databaseUrl' | 'clickhouseUrls'>): number {
  if (config.processes !== undefined) return config.processes;
  return config.databaseUrl || config.clickhouseUrls.length > 0 ? availableParallelism() : 1;
}

/** Each shard URL must parse; the message names the shard by position, never by its text (a password). */
function checkClickHouseUrls(urls: readonly string[]): void {
  const seen = new Set<string>();
  urls.forEach((text, i) => {
    const address = parseShardUrl(text);
    const which = urls.length > 1 ? `shard ${i + 1} of ${urls.length}` : 'the URL';
    if (typeof address === 'string')
      throw new ConfigError(`invalid setting TRAITFORGE_CLICKHOUSE_URL: ${which} ${address}`);
    const place = `${address.endpoint}/${address.database}`;
    if (seen.has(place))
      throw new ConfigError(
        `invalid setting TRAITFORGE_CLICKHOUSE_URL: ${which} repeats ${place} (one URL per shard)`,
      );
    seen.add(place);
  });
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function readPem(name: string, file: string, what: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`invalid setting ${name}: cannot read "${file}" (${reason})`);
  }
  if (!content.includes('-----BEGIN ')) {
    throw new ConfigError(`invalid setting ${name}: "${file}" is not a PEM ${what}`);
  }
  return content;
}

/**
 * The certificate and key named by TRAITFORGE_TLS_CERT/KEY, read and checked to form a usable
 * pair; undefined when HTTPS is not configured. Every failure names the variable at fault.
 */
export function readTls(config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile'>): TlsFiles | undefined {
  if (!config.tlsCertFile || !config.tlsKeyFile) return undefined;
  const cert = readPem('TRAITFORGE_TLS_CERT', config.tlsCertFile, 'certificate');
  const key = readPem('TRAITFORGE_TLS_KEY', config.tlsKeyFile, 'private key');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `invalid settings TRAITFORGE_TLS_CERT/TRAITFORGE_TLS_KEY: the certificate and key are not a usable pair (${(error as Error).message})`,
    );
  }
  return { cert, key };
}

/** TRAITFORGE_* variables the server does not know (likely typos): worth a warning at start. */
export function unknownSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('TRAITFORGE_') && !(name in ENV))
    .filter((name) => !FOREIGN_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort();
}

/** Settings that are valid but probably not what the operator meant. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.requireHttps && !config.tlsCertFile && config.trustedProxies.length === 0) {
    warnings.push(
      'TRAITFORGE_REQUIRE_HTTPS is on but neither TLS (TRAITFORGE_TLS_CERT/KEY) nor a trusted proxy ' +
        '(TRAITFORGE_TRUSTED_PROXIES) is configured: every API call will be refused',
    );
  }
  if (config.databaseUrl && !config.secretKey) {
    warnings.push(
      'TRAITFORGE_SECRET_KEY is not set: this server uses the key generated in its data directory; ' +
        'if several servers share this database, set TRAITFORGE_SECRET_KEY to the same value on every server ' +
        '(it seals storage credentials and keys operator sessions)',
    );
  }
  return warnings;
}
