import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The server's settings, parsed once from the environment into a frozen object. */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  dataDir: Type.String({ minLength: 1, default: './data' }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  adminToken: Type.Optional(Type.String({ minLength: 16 })),
  tlsCertFile: Type.Optional(Type.String({ minLength: 1 })),
  tlsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  requireHttps: Type.Boolean({ default: false }),
  trustedProxies: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  maxBatchRecords: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  bodyLimitBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  shutdownTimeoutMs: Type.Integer({ minimum: 0, default: 30_000 }),
});
export type Config = Readonly<Static<typeof ConfigSchema>>;

/** Environment variable → config field, with how to read its text. */
const ENV: Record<string, [keyof Config, 'string' | 'int' | 'bool' | 'list']> = {
  TRAITFORGE_PORT: ['port', 'int'],
  TRAITFORGE_HOST: ['host', 'string'],
  TRAITFORGE_DATA_DIR: ['dataDir', 'string'],
  TRAITFORGE_DATABASE_URL: ['databaseUrl', 'string'],
  TRAITFORGE_ADMIN_TOKEN: ['adminToken', 'string'],
  TRAITFORGE_TLS_CERT: ['tlsCertFile', 'string'],
  TRAITFORGE_TLS_KEY: ['tlsKeyFile', 'string'],
  TRAITFORGE_REQUIRE_HTTPS: ['requireHttps', 'bool'],
  TRAITFORGE_TRUSTED_PROXIES: ['trustedProxies', 'list'],
  TRAITFORGE_MAX_BATCH: ['maxBatchRecords', 'int'],
  TRAITFORGE_BODY_LIMIT: ['bodyLimitBytes', 'int'],
  TRAITFORGE_LOG_LEVEL: ['logLevel', 'string'],
  TRAITFORGE_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', 'int'],
};

export class ConfigError extends Error {}

function readValue(name: string, text: string, kind: 'string' | 'int' | 'bool' | 'list'): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'int':
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
      return Number(text);
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      throw new ConfigError(`${name} must be true or false, got "${text}"`);
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
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

export function parseConfig(input: Record<string, unknown>): Config {
  const value = Value.Default(ConfigSchema, structuredClone(input));
  const error = Value.Errors(ConfigSchema, value).First();
  if (error) {
    const field = error.path.replace(/^\//, '').split('/')[0] ?? '';
    const envName = Object.entries(ENV).find(([, [f]]) => f === field)?.[0] ?? field;
    throw new ConfigError(`invalid setting ${envName}: ${error.message}`);
  }
  if (Boolean(value && (value as Config).tlsCertFile) !== Boolean(value && (value as Config).tlsKeyFile)) {
    throw new ConfigError('TRAITFORGE_TLS_CERT and TRAITFORGE_TLS_KEY must be set together');
  }
  return Object.freeze(value as Config);
}
