import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardStats } from '../../src/records/records.service.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { expectUsageError, json, run } from '../support/cli-process.js';
import { ensureBuilt } from '../support/server-process.js';

const purchase = (user: number) =>
  JSON.stringify({
    timestamp: '2024-01-01 10:00:00',
    user_id: String(user),
    item_id: 'gem',
    count: 1,
    price: 2,
  });

const FILES: Record<string, string | Buffer> = {
  'purchases/date=2024-01-01/load_id=1/a.json': `${purchase(1)}\n${purchase(2)}\n{oops\n`,
  'purchases/date=2024-01-02/b.ndjson.gz': gzipSync(`${purchase(3)}\n`),
  'logins/l.csv': 'user_id,level,country\n1,4,US\n2,5,DE\n',
  'kpis/2024/k.csv': 'user_id,kpi_id,value\n1,ltv,9.5\n',
};

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.each(BACKENDS)('traitforge import on %s', (backend) => {
  let db: TestDatabase;
  let dir: string;
  let dashboardId: string;
  const cli = (...args: string[]) =>
    run(args, { TRAITFORGE_DATA_DIR: db.dataDir, TRAITFORGE_DATABASE_URL: db.databaseUrl });
  const stats = async () => json(await cli('stats', '--dashboard', dashboardId, '--json')) as DashboardStats;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    dir = mkdtempSync(join(tmpdir(), 'traitforge-import-'));
    for (const [key, content] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, key)), { recursive: true });
      writeFileSync(join(dir, key), content);
    }
    dashboardId = (json(await cli('dashboard', 'create', 'Import game', '--json')) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('imports a folder in the bucket layout and prints the summary as JSON', async () => {
    const summary = json(await cli('import', dir, '--dashboard', dashboardId, '--json'));
    expect(summary).toEqual({
      files_ingested: 4,
      records_ingested: 6,
      records_already_stored: 0,
      records_withheld: 0,
      files_failed: 0,
      errors: [
        {
          file: 'purchases/date=2024-01-01/load_id=1/a.json',
          line: 3,
          field: null,
          message: expect.stringMatching(/^invalid JSON: /),
        },
      ],
    });
    const records = (await stats()).records.production;
    expect(records).toMatchObject({ purchases: 3, logins: 2, kpis: 1 });
  });

  it('stores nothing twice when the same files are imported again, and says they were already there', async () => {
    const again = json(await cli('import', dir, '--dashboard', dashboardId, '--json'));
    expect(again).toMatchObject({ files_ingested: 4, records_ingested: 0, records_already_stored: 6 });
    const text = await cli('import', dir, '--dashboard', dashboardId);
    expect(text.stdout).toMatch(/^\s+records ingested\s+0$/m);
    expect(text.stdout).toMatch(/^\s+already stored\s+6$/m);
    expect((await stats()).records.production).toMatchObject({ purchases: 3, logins: 2, kpis: 1 });
  });

  it('a local storage connection on the imported folder stores nothing twice', async () => {
    const created = json(
      await cli('connection', 'add', 'local', '--path', dir, '--dashboard', dashboardId, '--json'),
    ) as { id: string };
    const synced = json(await cli('connection', 'sync', created.id, '--dashboard', dashboardId, '--json'));
    expect(synced).toMatchObject({ files_ingested: 4, records_ingested: 0, records_already_stored: 6 });
    expect((await stats()).records.production).toMatchObject({ purchases: 3, logins: 2, kpis: 1 });
    // …and the other way round: a file the connection read first, imported afterwards.
    writeFileSync(join(dir, 'purchases', 'late.json'), `${purchase(9)}\n`);
    const late = json(await cli('connection', 'sync', created.id, '--dashboard', dashboardId, '--json'));
    expect(late).toMatchObject({ files_ingested: 1, records_ingested: 1, records_already_stored: 0 });
    const imported = json(await cli('import', dir, '--dashboard', dashboardId, '--json'));
    expect(imported).toMatchObject({ records_ingested: 0, records_already_stored: 7 });
    expect((await stats()).records.production).toMatchObject({ purchases: 4, logins: 2, kpis: 1 });
    await cli('connection', 'remove', created.id, '--dashboard', dashboardId);
  }, 120_000);

  it('refuses a folder that holds none of the root folders, naming them, and exits 1', async () => {
    const stray = mkdtempSync(join(tmpdir(), 'traitforge-import-stray-'));
    mkdirSync(join(stray, 'exports', 'purchases'), { recursive: true });
    writeFileSync(join(stray, 'exports', 'purchases', 'a.json'), `${purchase(1)}\n`);
    const result = await cli('import', stray, '--dashboard', dashboardId, '--json');
    rmSync(stray, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /holds none of the folders actions\/, logins\/, purchases\/.*social_dynamics\//,
    );
  });

  it('imports one file, or one root folder, into the sandbox; prints text without --json', async () => {
    const one = await cli(
      'import',
      join(dir, 'logins', 'l.csv'),
      '--dashboard',
      dashboardId,
      '--environment',
      'sandbox',
    );
    expect(one.code).toBe(0);
    expect(one.stderr).toBe('');
    expect(one.stdout).toMatch(/^\s+records ingested\s+2$/m);
    const folder = json(
      await cli(
        'import',
        join(dir, 'purchases'),
        '--dashboard',
        dashboardId,
        '--environment',
        'sandbox',
        '--json',
      ),
    ) as { files_ingested: number; records_ingested: number };
    expect(folder).toMatchObject({ files_ingested: 3, records_ingested: 4 });
    expect((await stats()).records.sandbox).toMatchObject({ logins: 2, purchases: 4, kpis: 0 });
  });

  it('exits 1 when a file cannot be read, after ingesting the others', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'traitforge-import-bad-'));
    mkdirSync(join(bad, 'items'));
    writeFileSync(join(bad, 'items', 'x.json.gz'), 'not gzip');
    writeFileSync(join(bad, 'items', 'header.csv'), '');
    const result = await cli('import', bad, '--dashboard', dashboardId, '--json');
    rmSync(bad, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ files_ingested: 0, files_failed: 2 });
    expect(result.stderr).toBe('traitforge: 2 files could not be read\n');
  });

  it('refuses a missing path, a file outside the layout, an unknown dashboard and a bad environment', async () => {
    const missing = await cli('import', join(dir, 'nope'), '--dashboard', dashboardId);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/no such file or directory/) });
    const stray = join(dir, 'notes.json');
    writeFileSync(stray, '{}');
    const outside = await cli('import', stray, '--dashboard', dashboardId);
    expect(outside).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot tell the record type/) });
    rmSync(stray);
    const unknown = await cli('import', dir, '--dashboard', 'dsh_nope');
    expect(unknown.code).toBe(1);
    expectUsageError(
      await cli('import', dir, '--dashboard', dashboardId, '--environment', 'staging'),
      /--environment/,
    );
    expectUsageError(await cli('import', '--dashboard', dashboardId), /dir-or-file|argument/);
  });
});
