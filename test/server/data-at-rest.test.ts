import { statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startServer, type ServerProcess } from '../support/server-process.js';

const ADMIN = 'rest-admin-token-0123456789';
const mode = (path: string) => statSync(path).mode & 0o777;

/** What a real start leaves on disk is readable by the server's own user only. */
describe('data at rest on SQLite', () => {
  let root: string;
  let dataDir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'traitforge-rest-'));
    dataDir = join(root, 'data'); // made by the server
    server = startServer({
      TRAITFORGE_DATA_DIR: dataDir,
      TRAITFORGE_ADMIN_TOKEN: ADMIN,
      TRAITFORGE_PORT: '0',
    });
    await server.url();
  }, 120_000);
  afterAll(async () => {
    server.kill();
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and the database, its WAL and shared memory, and the key 0600', async () => {
    const base = await server.url();
    const created = await fetch(`${base}/admin/v1/dashboards`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Rest game' }),
    });
    expect(created.status).toBe(201);
    const { keys } = (await created.json()) as { keys: { production: string } };
    const form = new FormData();
    form.append(
      'file',
      new Blob(['timestamp,user_id,register_date,churn_date,kpi_id,value\n2026-01-01 00:00:00,u1,,,k,1\n']),
      'kpis.csv',
    );
    const upload = await fetch(`${base}/v1/kpis/csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.production}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    // An operator sign-in keys its session hash with the server key, made on first use.
    const page = await fetch(`${base}/dashboard/sign-in`);
    const login = /tf_login=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
    const signIn = await fetch(`${base}/dashboard/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `tf_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: login, mode: 'operator', token: ADMIN }).toString(),
    });
    expect(signIn.status).toBe(303);

    expect(mode(dataDir)).toBe(0o700);
    for (const file of [
      'traitforge.sqlite',
      'traitforge.sqlite-wal',
      'traitforge.sqlite-shm',
      'secret.key',
    ]) {
      expect([file, mode(join(dataDir, file))]).toEqual([file, 0o600]);
    }
  });
});
