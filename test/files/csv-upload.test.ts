import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { buildServices } from '../../src/services.js';
import { FileIngestionService } from '../../src/files/file-ingestion.service.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { EVENT_BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

const BOUNDARY = '----traitforge-test-boundary';

function multipart(
  csv: string | Buffer,
  field = 'file',
): { payload: Buffer; headers: Record<string, string> } {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="data.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head), Buffer.from(csv), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}

interface Ingestion {
  ingestion_id: string;
  status: string;
  rows_accepted: number;
  rows_rejected: number;
  errors: { line: number; field: string | null; message: string }[];
  finished_at: string | null;
}

describe.each(EVENT_BACKENDS)('CSV uploads on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  let other: TestDashboard;
  let worker: JobWorker;

  const upload = (path: string, csv: string | Buffer, key = dash.keys.production) => {
    const { payload, headers } = multipart(csv);
    return t.app.inject({
      method: 'POST',
      url: path,
      payload,
      headers: { ...headers, authorization: `Bearer ${key}` },
    });
  };
  const status = async (id: string, key = dash.keys.production) =>
    (await t.call('GET', `/v1/ingestions/${id}`, key)).json<{ data: Ingestion }>().data;
  /** Uploads, runs the queued jobs, and answers the ingestion's final state. */
  const ingest = async (path: string, csv: string | Buffer): Promise<Ingestion> => {
    const res = await upload(path, csv);
    expect(res.statusCode).toBe(201);
    const id = res.json<{ data: { ingestion_id: string } }>().data.ingestion_id;
    await worker.runOnce();
    return status(id);
  };
  const stored = async (type: string, query = '') =>
    (await t.admin('GET', `/dashboards/${dash.id}/records/${type}?limit=1000${query}`)).json<
      Record<string, unknown>[]
    >();

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('CSV game');
    other = await t.createDashboard('Other game');
    worker = buildServices(t.config, t.store, { jobWorker: { baseBackoffMs: 1 } }).jobs;
  });
  afterAll(async () => {
    await t.close();
  });

  it('estimates the time to complete from the file size and the rate measured on earlier ingestions', async () => {
    // Two earlier ingestions: 3,000 bytes in 30 s in all, i.e. 100 bytes/s.
    const now = Date.now();
    const finished = (id: string, bytes: number, seconds: number) => ({
      id,
      dashboard_id: other.id,
      environment: 'production' as const,
      kind: 'kpis',
      status: 'succeeded' as const,
      byte_size: bytes,
      rows_accepted: 1,
      rows_rejected: 0,
      errors: '[]',
      job_id: `job-${id}`,
      created_at: now + 10_000_000,
      started_at: now + 10_000_000,
      finished_at: now + 10_000_000 + seconds * 1000,
    });
    await t.store.db
      .insertInto('ingestions')
      .values([finished('measured-1', 1000, 20), finished('measured-2', 2000, 10)])
      .execute();
    try {
      const csv = `user_id,kpi_id,value\n${'1,ltv,2\n'.repeat(120)}`; // 21 + 960 bytes
      const res = await upload('/v1/kpis/csv', csv, other.keys.production);
      expect(
        res.json<{ data: { estimated_time_to_complete: number } }>().data.estimated_time_to_complete,
      ).toBe(10);
      await worker.runOnce();
    } finally {
      await t.store.db.deleteFrom('ingestions').where('id', 'in', ['measured-1', 'measured-2']).execute();
    }
  });

  it('answers 201 with an ingestion id, then ingests the KPIs (visible to the admin API)', async () => {
    const res = await upload(
      '/v1/kpis/csv',
      'timestamp,user_id,register_date,churn_date,kpi_id,value\n2020-03-12 00:00:00,1001,2019-11-18,,transaction_count,3.0\n',
    );
    expect(res.statusCode).toBe(201);
    const body = res.json<{
      code: number;
      message: string;
      data: { estimated_time_to_complete: number; ingestion_id: string };
    }>();
    expect(body).toMatchObject({ code: 201, message: 'ingestion has been started' });
    expect(body.data.estimated_time_to_complete).toBeGreaterThanOrEqual(1);
    expect((await status(body.data.ingestion_id)).status).toBe('queued');
    await worker.runOnce();
    expect(await status(body.data.ingestion_id)).toMatchObject({
      status: 'succeeded',
      rows_accepted: 1,
      rows_rejected: 0,
      errors: [],
      finished_at: expect.any(String),
    });
    expect(await stored('kpis', '&user_id=1001')).toEqual([
      {
        timestamp: '2020-03-12 00:00:00',
        user_id: '1001',
        register_date: '2019-11-18',
        kpi_id: 'transaction_count',
        value: 3,
      },
    ]);
    const stats = (await t.admin('GET', `/dashboards/${dash.id}/stats`)).json<{
      records: { production: Record<string, number> };
    }>();
    expect(stats.records.production.kpis).toBe(1);
  });

  it('reads a BOM, CRLF, quoted fields with newlines and empty cells', async () => {
    const csv =
      '\uFEFFuser_id,kpi_id,value,timestamp,churn_date\r\n' +
      '"bom-1","multi\r\nline kpi",1.5,,\r\n' +
      '\r\n' +
      'bom-2,"quoted, comma",-2,2021-01-01 10:00:00,2021-02-01\r\n';
    const result = await ingest('/v1/kpis/csv', csv);
    expect(result).toMatchObject({ status: 'succeeded', rows_accepted: 2, rows_rejected: 0 });
    const rows = [...(await stored('kpis', '&user_id=bom-1')), ...(await stored('kpis', '&user_id=bom-2'))];
    expect(rows).toEqual([
      expect.objectContaining({ user_id: 'bom-1', kpi_id: 'multi\r\nline kpi', value: 1.5 }),
      {
        timestamp: '2021-01-01 10:00:00',
        user_id: 'bom-2',
        kpi_id: 'quoted, comma',
        value: -2,
        churn_date: '2021-02-01',
      },
    ]);
    expect(rows[0]).not.toHaveProperty('churn_date');
  });

  it('reports bad rows with their line numbers and stores the good ones', async () => {
    const csv = [
      'timestamp,user_id,register_date,churn_date,kpi_id,value',
      ',bad-1,,,k,not-a-number', // line 2
      ',good-1,,,k,1', // line 3
      '"a ""quoted""\nuser",bad-2,18/11/2019,,k,2', // lines 4-5: bad timestamp and register date
      ',good-2,,,k,2', // line 6
      ',too,few', // line 7
    ].join('\n');
    const result = await ingest('/v1/kpis/csv', csv);
    expect(result).toMatchObject({ status: 'succeeded', rows_accepted: 2, rows_rejected: 3 });
    expect(result.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'value'],
      [4, 'timestamp'],
      [4, 'register_date'],
      [7, null],
    ]);
    expect(await stored('kpis', '&user_id=good-2')).toHaveLength(1);
    expect(await stored('kpis', '&user_id=bad-1')).toHaveLength(0);
  });

  it('fails an ingestion without a header, or with the wrong columns, saying why', async () => {
    const noHeader = await ingest('/v1/kpis/csv', '2020-03-12 00:00:00,1001,,,k,1\n');
    expect(noHeader.status).toBe('failed');
    expect(noHeader.errors).toEqual([
      {
        line: 1,
        field: null,
        message: expect.stringMatching(/missing columns "user_id", "kpi_id", "value"/),
      },
    ]);
    const wrong = await ingest('/v1/survey-data/csv', 'player,answer\n1,2\n');
    expect(wrong.status).toBe('failed');
    expect(wrong.errors[0]!.message).toMatch(/missing column "user_id"/);
    const broken = await ingest('/v1/kpis/csv', 'user_id,kpi_id,value\nq1,k,1\n"unclosed,k,1\n');
    expect(broken).toMatchObject({ status: 'succeeded', rows_accepted: 1, rows_rejected: 1 });
    expect(broken.errors).toEqual([
      { line: 3, field: null, message: expect.stringMatching(/invalid CSV: Quote Not Closed/) },
    ]);
  });

  it('ingests survey data in the wide and the long format', async () => {
    const wide = await ingest('/v1/survey-data/csv', 'user_id,q1,q2\nsurv-1,4,yes\nsurv-2,,no\n');
    expect(wide).toMatchObject({ status: 'succeeded', rows_accepted: 3, rows_rejected: 0 });
    const long = await ingest('/v1/survey-data/csv', 'user_id,question_id,value\nsurv-3,q9,"a, b"\n');
    expect(long).toMatchObject({ status: 'succeeded', rows_accepted: 1 });
    const answers = await stored('survey_answers', '&user_id=surv-1');
    expect(answers.map((a) => [a.question_id, a.value]).sort()).toEqual([
      ['q1', '4'],
      ['q2', 'yes'],
    ]);
    expect(await stored('survey_answers', '&user_id=surv-3')).toEqual([
      expect.objectContaining({ question_id: 'q9', value: 'a, b' }),
    ]);
  });

  it('resumes after a worker dies mid-file, storing every row exactly once', async () => {
    const lines = ['user_id,kpi_id,value'];
    for (let i = 0; i < 25; i++) lines.push(`crash-${i % 5},k${i},${i}`);
    const res = await upload('/v1/kpis/csv', lines.join('\n'));
    const id = res.json<{ data: { ingestion_id: string } }>().data.ingestion_id;
    const services = buildServices(t.config, t.store);
    // The first worker stores a chunk, then "dies" before saving its progress: its lease stays.
    const dying = new FileIngestionService(t.store.db, services.ingest, services.jobQueue, {
      rowsPerChunk: 10,
      afterChunkStored: (chunk) => {
        if (chunk === 1) return new Promise<never>(() => undefined);
        return undefined;
      },
    });
    const crashed = new JobWorker(services.jobQueue, new Map([['csv_ingestion', dying]]), { leaseMs: 300 });
    void crashed.runOnce();
    await expect.poll(async () => (await status(id)).rows_accepted, { timeout: 10_000 }).toBe(10);
    expect((await status(id)).status).toBe('running');
    // The chunk after the saved one was stored too, but its progress was not saved.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const resumed = new FileIngestionService(t.store.db, services.ingest, services.jobQueue, {
      rowsPerChunk: 10,
    });
    const fresh = new JobWorker(services.jobQueue, new Map([['csv_ingestion', resumed]]));
    expect(await fresh.runOnce()).toBe(1);
    expect(await status(id)).toMatchObject({ status: 'succeeded', rows_accepted: 25, rows_rejected: 0 });
    let total = 0;
    for (let u = 0; u < 5; u++) total += (await stored('kpis', `&user_id=crash-${u}`)).length;
    expect(total).toBe(25);
  });

  it("refuses a missing or wrong key with 401, and hides other dashboards' ingestions (404)", async () => {
    const csv = 'user_id,kpi_id,value\nx,k,1\n';
    expect((await upload('/v1/kpis/csv', csv, 'tf_wrong')).statusCode).toBe(401);
    const noKey = multipart(csv);
    expect((await t.app.inject({ method: 'POST', url: '/v1/kpis/csv', ...noKey })).statusCode).toBe(401);
    const id = (await upload('/v1/kpis/csv', csv)).json<{ data: { ingestion_id: string } }>().data
      .ingestion_id;
    expect((await t.call('GET', `/v1/ingestions/${id}`, dash.keys.production)).statusCode).toBe(200);
    expect((await t.call('GET', `/v1/ingestions/${id}`, other.keys.production)).statusCode).toBe(404);
    expect((await t.call('GET', `/v1/ingestions/${id}`, dash.keys.sandbox)).statusCode).toBe(404);
    expect((await t.call('GET', `/v1/ingestions/${id}`, undefined)).statusCode).toBe(401);
    await worker.runOnce();
  });

  it('refuses a request that is not multipart, and one without a file', async () => {
    const json = await t.call('POST', '/v1/kpis/csv', dash.keys.production, { kpis: [] });
    expect([400, 415]).toContain(json.statusCode);
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/kpis/csv',
      headers: { authorization: `Bearer ${dash.keys.production}`, 'content-type': 'text/csv' },
      payload: 'user_id,kpi_id,value\n',
    });
    expect(text.statusCode).toBe(415);
    const wrongField = multipart('user_id,kpi_id,value\n', 'data');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/kpis/csv',
      payload: wrongField.payload,
      headers: { ...wrongField.headers, authorization: `Bearer ${dash.keys.production}` },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe.each(EVENT_BACKENDS)('CSV upload size limit on %s', (backend) => {
  it('refuses a file over the limit with 413 and stores nothing', async () => {
    const t = await createTestApp(backend);
    try {
      const { buildApp } = await import('../../src/app.js');
      const app = await buildApp(parseConfig({ ...t.config, maxUploadBytes: 2048 }), t.store, {
        logger: false,
      });
      const dash = await t.createDashboard('Limits');
      const { payload, headers } = multipart('user_id,kpi_id,value\n' + 'u,k,1\n'.repeat(1000));
      const res = await app.inject({
        method: 'POST',
        url: '/v1/kpis/csv',
        payload,
        headers: { ...headers, authorization: `Bearer ${dash.keys.production}` },
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 413 });
      const chunks = await t.store.db.selectFrom('upload_chunks').select('seq').execute();
      expect(chunks).toEqual([]);
      await app.close();
    } finally {
      await t.close();
    }
  });
});
