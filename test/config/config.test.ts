import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configWarnings,
  loadConfig,
  parseConfig,
  processCount,
  readTls,
  unknownSettings,
} from '../../src/config/config.js';
import { generateCertificate, type Certificate } from '../support/tls.js';

describe('configuration from TRAITFORGE_* variables', () => {
  it('has safe defaults for local use', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      requireHttps: false,
      trustedProxies: [],
      maxBatchRecords: 1000,
      bodyLimitBytes: 16 * 1024 * 1024,
      maxUploadBytes: 256 * 1024 * 1024,
      logLevel: 'info',
      shutdownTimeoutMs: 30_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      workers: true,
      jobLeaseMs: 300_000,
      surveyMinMsPerItem: 2000,
      webhookAllow: [],
      corsOrigins: [],
      clickhouseUrls: [],
      clickhouseInsightsLagMs: 120_000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      TRAITFORGE_PORT: '0',
      TRAITFORGE_HOST: '0.0.0.0',
      TRAITFORGE_DATA_DIR: '/var/lib/traitforge',
      TRAITFORGE_DATABASE_URL: 'postgresql://tf:secret@db:5432/traitforge',
      TRAITFORGE_CLICKHOUSE_URL: 'http://ch1:8123/events, https://tf:secret@ch2:8443',
      TRAITFORGE_CLICKHOUSE_INSIGHTS_LAG_MS: '5000',
      TRAITFORGE_ADMIN_TOKEN: 'a'.repeat(32),
      TRAITFORGE_TLS_CERT: '/etc/tf/cert.pem',
      TRAITFORGE_TLS_KEY: '/etc/tf/key.pem',
      TRAITFORGE_REQUIRE_HTTPS: 'TRUE',
      TRAITFORGE_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8, loopback',
      TRAITFORGE_MAX_BATCH: '500',
      TRAITFORGE_BODY_LIMIT: ' 2048 ',
      TRAITFORGE_MAX_UPLOAD: '4096',
      TRAITFORGE_LOG_LEVEL: 'warn',
      TRAITFORGE_SHUTDOWN_TIMEOUT_MS: '5000',
      TRAITFORGE_REQUEST_TIMEOUT_MS: '10000',
      TRAITFORGE_KEEP_ALIVE_TIMEOUT_MS: '65000',
      TRAITFORGE_WORKERS: 'false',
      TRAITFORGE_JOB_LEASE_MS: '60000',
      TRAITFORGE_SURVEY_MIN_MS_PER_ITEM: '250',
      TRAITFORGE_WEBHOOK_ALLOW: '127.0.0.1, 10.0.0.0/8,hooks.internal,fd00::/8',
      TRAITFORGE_CORS_ORIGINS: 'https://game.example.com,http://localhost:5173',
    });
    expect(config).toEqual({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/traitforge',
      databaseUrl: 'postgresql://tf:secret@db:5432/traitforge',
      clickhouseUrls: ['http://ch1:8123/events', 'https://tf:secret@ch2:8443'],
      clickhouseInsightsLagMs: 5000,
      adminToken: 'a'.repeat(32),
      tlsCertFile: '/etc/tf/cert.pem',
      tlsKeyFile: '/etc/tf/key.pem',
      requireHttps: true,
      trustedProxies: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'],
      maxBatchRecords: 500,
      bodyLimitBytes: 2048,
      maxUploadBytes: 4096,
      logLevel: 'warn',
      shutdownTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 65_000,
      workers: false,
      jobLeaseMs: 60_000,
      surveyMinMsPerItem: 250,
      webhookAllow: ['127.0.0.1', '10.0.0.0/8', 'hooks.internal', 'fd00::/8'],
      corsOrigins: ['https://game.example.com', 'http://localhost:5173'],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ TRAITFORGE_PORT: '', TRAITFORGE_ADMIN_TOKEN: '' })).toMatchObject({ port: 8080 });
    expect(loadConfig({ TRAITFORGE_ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
  });

  it.each(['1', 'true', 'yes', 'on', 'On'])('reads %s as true', (text) => {
    expect(loadConfig({ TRAITFORGE_REQUIRE_HTTPS: text }).requireHttps).toBe(true);
  });
  it.each(['0', 'false', 'no', 'off'])('reads %s as false', (text) => {
    expect(loadConfig({ TRAITFORGE_REQUIRE_HTTPS: text }).requireHttps).toBe(false);
  });

  const BAD: [variable: string, value: string, mentions: RegExp][] = [
    ['TRAITFORGE_PORT', 'abc', /whole number/],
    ['TRAITFORGE_PORT', '8080.5', /whole number/],
    ['TRAITFORGE_PORT', '70000', /0 to 65535/],
    ['TRAITFORGE_PORT', '-1', /0 to 65535/],
    ['TRAITFORGE_HOST', ' ', /listening address|at least/],
    ['TRAITFORGE_DATABASE_URL', 'mysql://x', /postgres:\/\//],
    ['TRAITFORGE_DATABASE_URL', '/var/db.sqlite', /postgres:\/\//],
    ['TRAITFORGE_CLICKHOUSE_URL', 'ch1:8123', /the URL must be an http:\/\/ or https:\/\/ URL/],
    ['TRAITFORGE_CLICKHOUSE_URL', 'http://ch1:8123,nonsense', /shard 2 of 2 is not a URL/],
    ['TRAITFORGE_CLICKHOUSE_URL', 'http://ch1:8123/my-db', /database that is not a plain name/],
    ['TRAITFORGE_CLICKHOUSE_URL', 'http://ch1:8123/?database=x', /must not carry a query string/],
    ['TRAITFORGE_CLICKHOUSE_URL', 'http://ch1:8123/a,http://ch1:8123/a/', /shard 2 of 2 repeats/],
    ['TRAITFORGE_CLICKHOUSE_INSIGHTS_LAG_MS', '-1', /milliseconds from 0 to 3600000/],
    ['TRAITFORGE_ADMIN_TOKEN', 'short', /at least 16 characters/],
    ['TRAITFORGE_REQUIRE_HTTPS', 'maybe', /true or false/],
    ['TRAITFORGE_TRUSTED_PROXIES', '127.0.0.1,proxy.internal', /"proxy.internal" is not an IP address/],
    ['TRAITFORGE_TRUSTED_PROXIES', '10.0.0.0/33', /"10.0.0.0\/33" is not an IP address/],
    ['TRAITFORGE_MAX_BATCH', '0', /1 to 100000/],
    ['TRAITFORGE_MAX_BATCH', 'many', /whole number/],
    ['TRAITFORGE_BODY_LIMIT', '10', /at least 1024/],
    ['TRAITFORGE_LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
    ['TRAITFORGE_SHUTDOWN_TIMEOUT_MS', '-5', /0 or more/],
    ['TRAITFORGE_SHUTDOWN_TIMEOUT_MS', '5s', /whole number/],
    ['TRAITFORGE_REQUEST_TIMEOUT_MS', '0', /1000 to 3600000/],
    ['TRAITFORGE_KEEP_ALIVE_TIMEOUT_MS', '500', /1000 to 3600000/],
    ['TRAITFORGE_WORKERS', 'maybe', /true or false/],
    ['TRAITFORGE_JOB_LEASE_MS', '10', /1000 to 86400000/],
    ['TRAITFORGE_SURVEY_MIN_MS_PER_ITEM', '-1', /0 \(no speed check\) to 60000/],
    [
      'TRAITFORGE_WEBHOOK_ALLOW',
      '127.0.0.1,10.0.0.0/33',
      /"10.0.0.0\/33" is not a host name, IP address or CIDR range/,
    ],
    ['TRAITFORGE_WEBHOOK_ALLOW', 'hooks_internal', /"hooks_internal" is not a host name/],
  ];
  it.each(BAD)('refuses %s=%s with a message naming the variable', (variable, value, mentions) => {
    const read = () => loadConfig({ [variable]: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(variable);
    expect(read).toThrow(mentions);
  });

  it('never repeats a secret value in its message', () => {
    const password = 'hunter2-secret-password';
    expect(() => loadConfig({ TRAITFORGE_DATABASE_URL: `mysql://root:${password}@db/x` })).toThrow(
      /^invalid setting TRAITFORGE_DATABASE_URL: it must be a postgres:\/\/ or postgresql:\/\/ URL[^]*\)$/,
    );
    try {
      loadConfig({ TRAITFORGE_DATABASE_URL: `mysql://root:${password}@db/x` });
    } catch (error) {
      expect((error as Error).message).not.toContain(password);
    }
    try {
      loadConfig({ TRAITFORGE_CLICKHOUSE_URL: `ftp://root:${password}@ch/x` });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/TRAITFORGE_CLICKHOUSE_URL/);
      expect((error as Error).message).not.toContain(password);
    }
    try {
      loadConfig({ TRAITFORGE_ADMIN_TOKEN: 'tooshortsecret' });
    } catch (error) {
      expect((error as Error).message).not.toContain('tooshortsecret');
    }
  });

  it('refuses a certificate without a key, and a key without a certificate', () => {
    expect(() => loadConfig({ TRAITFORGE_TLS_CERT: '/etc/tf/cert.pem' })).toThrow(
      'TRAITFORGE_TLS_CERT and TRAITFORGE_TLS_KEY must be set together: TRAITFORGE_TLS_KEY is missing',
    );
    expect(() => loadConfig({ TRAITFORGE_TLS_KEY: '/etc/tf/key.pem' })).toThrow(
      'TRAITFORGE_TLS_CERT is missing',
    );
  });

  it('names the variable for values given directly (tests, CLI)', () => {
    expect(() => parseConfig({ port: 'eighty' })).toThrow(/TRAITFORGE_PORT/);
    expect(() => parseConfig({ trustedProxies: ['not an ip'] })).toThrow(/TRAITFORGE_TRUSTED_PROXIES/);
  });

  it('lets values given directly override the environment', () => {
    expect(loadConfig({ TRAITFORGE_PORT: '9000' }, { port: 0 }).port).toBe(0);
  });

  it('lists unknown TRAITFORGE_* variables (typos) but not the test suite’s own', () => {
    expect(
      unknownSettings({
        TRAITFORGE_PORT: '1',
        TRAITFORGE_REQUIRE_HTTP: 'true',
        TRAITFORGE_TEST_DATABASE_URL: 'postgres://x',
        PATH: '/bin',
      }),
    ).toEqual(['TRAITFORGE_REQUIRE_HTTP']);
  });

  it('warns when HTTPS is required but nothing can deliver it', () => {
    expect(configWarnings(parseConfig({ requireHttps: true }))).toEqual([
      expect.stringContaining('every API call will be refused'),
    ]);
    expect(configWarnings(parseConfig({ requireHttps: true, trustedProxies: ['10.0.0.1'] }))).toEqual([]);
    expect(configWarnings(parseConfig({}))).toEqual([]);
    // On PostgreSQL several servers may share the database: each would have its own key.
    const url = 'postgres://db/traitforge';
    expect(configWarnings(parseConfig({ databaseUrl: url }))).toEqual([
      expect.stringContaining('set TRAITFORGE_SECRET_KEY to the same value on every server'),
    ]);
    expect(configWarnings(parseConfig({ databaseUrl: url, secretKey: 'ab'.repeat(32) }))).toEqual([]);
  });
});

describe('TLS files', () => {
  let cert: Certificate;
  let other: Certificate;
  let dir: string;
  beforeAll(() => {
    cert = generateCertificate();
    other = generateCertificate();
    dir = mkdtempSync(join(tmpdir(), 'traitforge-config-'));
  });
  afterAll(() => {
    cert.remove();
    other.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a certificate and its key', () => {
    const tls = readTls({ tlsCertFile: cert.certFile, tlsKeyFile: cert.keyFile });
    expect(tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.key.toString()).toContain('PRIVATE KEY');
    expect(readTls({})).toBeUndefined();
  });

  it('names the variable whose file cannot be read', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => readTls({ tlsCertFile: missing, tlsKeyFile: cert.keyFile })).toThrow(
      `invalid setting TRAITFORGE_TLS_CERT: cannot read "${missing}" (ENOENT)`,
    );
    expect(() => readTls({ tlsCertFile: cert.certFile, tlsKeyFile: missing })).toThrow(
      /TRAITFORGE_TLS_KEY: cannot read/,
    );
  });

  it('refuses a file that is not PEM', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => readTls({ tlsCertFile: junk, tlsKeyFile: cert.keyFile })).toThrow(
      /TRAITFORGE_TLS_CERT: .* is not a PEM certificate/,
    );
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() => readTls({ tlsCertFile: cert.certFile, tlsKeyFile: other.keyFile })).toThrow(
      /TRAITFORGE_TLS_CERT\/TRAITFORGE_TLS_KEY: the certificate and key are not a usable pair/,
    );
  });
});

describe('TRAITFORGE_PROCESSES', () => {
  const PG = 'postgres://u@db/traitforge';

  it('defaults to every core on PostgreSQL or with ClickHouse, and to 1 on SQLite', () => {
    expect(processCount(loadConfig({}))).toBe(1);
    expect(processCount(loadConfig({ TRAITFORGE_DATABASE_URL: PG }))).toBe(availableParallelism());
    expect(processCount(loadConfig({ TRAITFORGE_CLICKHOUSE_URL: 'http://ch:8123' }))).toBe(
      availableParallelism(),
    );
  });

  it('takes the number given, and refuses more than one on SQLite', () => {
    expect(processCount(loadConfig({ TRAITFORGE_DATABASE_URL: PG, TRAITFORGE_PROCESSES: '3' }))).toBe(3);
    expect(processCount(loadConfig({ TRAITFORGE_DATABASE_URL: PG, TRAITFORGE_PROCESSES: '1' }))).toBe(1);
    expect(processCount(loadConfig({ TRAITFORGE_PROCESSES: '1' }))).toBe(1);
    expect(() => loadConfig({ TRAITFORGE_PROCESSES: '2' })).toThrow(
      /TRAITFORGE_PROCESSES: 2 processes need PostgreSQL/,
    );
    expect(() => loadConfig({ TRAITFORGE_DATABASE_URL: PG, TRAITFORGE_PROCESSES: '0' })).toThrow(
      /invalid setting TRAITFORGE_PROCESSES: it must be a whole number of HTTP processes from 1 to 1024/,
    );
  });
});
