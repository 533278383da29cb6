import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ensureBuilt, startAndFail } from '../support/server-process.js';

/** `node dist/src/server.js` with one bad setting: exit 1, one clear line naming it, no stack. */
describe('the server refuses bad settings at start', () => {
  let dataDir: string;
  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'traitforge-startup-'));
  }, 180_000);
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const CASES: [variable: string, value: string, extra: Record<string, string>][] = [
    ['TRAITFORGE_PORT', 'abc', {}],
    ['TRAITFORGE_REQUIRE_HTTPS', 'maybe', {}],
    ['TRAITFORGE_DATABASE_URL', 'mysql://x', {}],
    ['TRAITFORGE_ADMIN_TOKEN', 'short', {}],
    ['TRAITFORGE_TLS_CERT', '/nonexistent/cert.pem', {}],
    ['TRAITFORGE_TLS_CERT', '/nonexistent/cert.pem', { TRAITFORGE_TLS_KEY: '/nonexistent/key.pem' }],
    ['TRAITFORGE_TRUSTED_PROXIES', 'my-proxy', {}],
    ['TRAITFORGE_LOG_LEVEL', 'verbose', {}],
  ];

  // Each case is a separate process: run them side by side.
  it.concurrent.for(CASES)('%s=%s', async ([variable, value, extra], { expect }) => {
    const { code, stderr, logs } = await startAndFail({
      TRAITFORGE_PORT: '0',
      TRAITFORGE_DATA_DIR: dataDir,
      [variable]: value,
      ...extra,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^traitforge: cannot start: /);
    expect(stderr).toContain(variable);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(logs.filter((l) => l.msg === 'traitforge ready')).toEqual([]);
  });

  it.concurrent(
    'refuses a certificate file that is not PEM before touching the database',
    async ({ expect }) => {
      const junk = join(dataDir, 'junk.pem');
      writeFileSync(junk, 'hello');
      const empty = join(dataDir, 'untouched');
      const { code, stderr } = await startAndFail({
        TRAITFORGE_PORT: '0',
        TRAITFORGE_DATA_DIR: empty,
        TRAITFORGE_TLS_CERT: junk,
        TRAITFORGE_TLS_KEY: junk,
      });
      expect(code).toBe(1);
      expect(stderr).toContain('TRAITFORGE_TLS_CERT');
      expect(stderr).toContain('is not a PEM certificate');
      expect(existsSync(empty)).toBe(false);
    },
  );

  it.concurrent('says plainly that the database is unreachable', async ({ expect }) => {
    const { code, stderr } = await startAndFail({
      TRAITFORGE_PORT: '0',
      TRAITFORGE_DATA_DIR: dataDir,
      TRAITFORGE_DATABASE_URL: 'postgres://traitforge@127.0.0.1:1/traitforge',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^traitforge: cannot start: .*ECONNREFUSED 127\.0\.0\.1:1/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
