import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/dashboard/password.js';
import { THROTTLE } from '../../src/dashboard/dashboard-auth.service.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { ensureBuilt, startServer, type ServerProcess } from '../support/server-process.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/test-app.js';
import { DashboardClient } from './dashboard-client.js';

const PASSWORD = 'correct horse battery';

/** 40 wrong attempts and, started last, the right one: all in flight at once. */
async function burst(
  attempt: (right: boolean, i: number) => Promise<{ status: number; retryAfter: string | undefined }>,
) {
  const results = await Promise.all([
    ...Array.from({ length: 40 }, (_, i) => attempt(false, i)),
    attempt(true, 40),
  ]);
  return { wrong: results.slice(0, 40), right: results[40]! };
}

const outcome = (res: LightMyRequestResponse) => ({
  status: res.statusCode,
  retryAfter: res.headers['retry-after'],
});

function expectThrottled(results: { status: number; retryAfter: string | undefined }[], limit: number): void {
  const checked = results.filter((r) => r.status !== 429);
  expect(checked.length).toBeLessThanOrEqual(limit);
  expect(checked.every((r) => r.status === 401 || r.status === 303)).toBe(true);
  for (const r of results.filter((r) => r.status === 429)) {
    const seconds = Number(r.retryAfter);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(THROTTLE.windowMs / 1000);
  }
}

describe.each(BACKENDS)('sign-in throttling under a parallel burst on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
    const dash = await t.createDashboard('Throttled game');
    const operator = new DashboardClient(t.app, '10.0.0.1');
    await operator.signInOperator();
    await operator.get(`/dashboard/d/${dash.id}/members`);
    await operator.post(`/dashboard/d/${dash.id}/members`, {
      email: 'ana@studio.example',
      password: PASSWORD,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('operator: the admin token is checked at most the per-address limit of times; the rest get 429 with Retry-After', async () => {
    const { wrong, right } = await burst(async (ok, i) =>
      outcome(
        await new DashboardClient(t.app, '10.0.0.2').signIn({
          mode: 'operator',
          token: ok ? ADMIN_TOKEN : `${ADMIN_TOKEN}-wrong-${i}`,
        }),
      ),
    );
    expectThrottled([...wrong, right], THROTTLE.perIp);
    expect(right.status).toBe(429);
    const page = await new DashboardClient(t.app, '10.0.0.2').signIn({
      mode: 'operator',
      token: ADMIN_TOKEN,
    });
    expect(page.statusCode).toBe(429);
    expect(page.body).toContain('too many failed sign-ins');
    expect(page.headers['set-cookie']).not.toMatch(/tf_session=[^;]/);
    // Another address is not held up.
    const other = await new DashboardClient(t.app, '10.0.0.3').signIn({
      mode: 'operator',
      token: ADMIN_TOKEN,
    });
    expect(other.statusCode).toBe(303);
  });

  it('member: the password is hashed at most the per-address limit of times; the right one arriving later gets 429', async () => {
    const { wrong, right } = await burst(async (ok, i) =>
      outcome(
        await new DashboardClient(t.app, '10.0.1.1').signIn({
          mode: 'member',
          email: 'ana@studio.example',
          password: ok ? PASSWORD : `wrong password ${i}`,
        }),
      ),
    );
    expectThrottled([...wrong, right], THROTTLE.perEmail);
    expect(right.status).toBe(429);
    // The address is held, whichever client address the next try comes from.
    const later = await new DashboardClient(t.app, '10.0.1.2').signIn({
      mode: 'member',
      email: 'ana@studio.example',
      password: PASSWORD,
    });
    expect(later.statusCode).toBe(429);
    expect(Number(later.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a right sign-in does not count against the address', async () => {
    for (let i = 0; i < THROTTLE.perIp + 2; i++) {
      const res = await new DashboardClient(t.app, '10.0.2.1').signIn({
        mode: 'operator',
        token: ADMIN_TOKEN,
      });
      expect(res.statusCode).toBe(303);
    }
  });
});

/** The reservation is one statement in the database: two server processes share one count. */
describe.runIf(process.env.TRAITFORGE_TEST_DATABASE_URL)(
  'sign-in throttling across two server processes on PostgreSQL',
  () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    beforeAll(async () => {
      ensureBuilt();
      database = await createTestDatabase('postgres');
      const settings = {
        TRAITFORGE_DATABASE_URL: database.databaseUrl!,
        TRAITFORGE_ADMIN_TOKEN: ADMIN_TOKEN,
        TRAITFORGE_PORT: '0',
        TRAITFORGE_DATA_DIR: database.dataDir,
        TRAITFORGE_WORKERS: 'false',
      };
      servers.push(startServer(settings));
      await servers[0]!.url();
      servers.push(startServer(settings));
      await servers[1]!.url();
      const store = database.openStore();
      try {
        await store.db
          .insertInto('dashboard_members')
          .values({
            id: 'mbr_burst',
            dashboard_id: 'dsh_burst',
            email: 'bo@studio.example',
            password_hash: await hashPassword(PASSWORD),
            created_at: Date.now(),
          })
          .execute();
      } finally {
        await store.close();
      }
    }, 120_000);
    afterAll(async () => {
      for (const s of servers) s.kill();
      await Promise.all(servers.map((s) => s.exited));
      await database.drop();
    });

    it('lets at most the per-address limit of passwords be checked, whichever process answers', async () => {
      const urls = [await servers[0]!.url(), await servers[1]!.url()];
      const attempt = async (ok: boolean, i: number) => {
        const base = urls[i % 2]!;
        const form = await fetch(`${base}/dashboard/sign-in`);
        const login = /tf_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
        await form.arrayBuffer();
        const res = await fetch(`${base}/dashboard/sign-in`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: `tf_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            _login: login,
            mode: 'member',
            email: 'bo@studio.example',
            password: ok ? PASSWORD : `wrong password ${i}`,
          }).toString(),
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after') ?? undefined };
      };
      const { wrong, right } = await burst(attempt);
      expectThrottled([...wrong, right], THROTTLE.perEmail);
      expect(right.status).toBe(429);
    }, 60_000);
  },
);
