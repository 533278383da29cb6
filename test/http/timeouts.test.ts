import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';

const TIMEOUT_MS = 1000;
/** One piece per byte (the texts here are ASCII). */
const bytes = (text: string) => Array.from(Buffer.from(text), (b) => Buffer.of(b));

interface Outcome {
  /** Everything the server sent before closing. */
  text: string;
  /** When the socket closed, in ms after it opened; undefined if still open at the deadline. */
  closedAfterMs: number | undefined;
}

/**
 * Opens a socket, sends `head`, then each of `pieces` `everyMs` apart, and reports what came
 * back and when the server closed the connection (giving up after `deadlineMs`).
 */
function trickle(
  port: number,
  head: string,
  pieces: (string | Buffer)[],
  everyMs: number,
  deadlineMs: number,
) {
  return new Promise<Outcome>((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < pieces.length && !socket.destroyed) socket.write(pieces[i++]!);
    }, everyMs);
    const finish = (closedAfterMs: number | undefined) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ text, closedAfterMs });
    };
    const deadline = setTimeout(() => {
      finish(undefined);
    }, deadlineMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      finish(Date.now() - started);
    });
    socket.write(head);
  });
}

describe('request and connection timeouts (TRAITFORGE_REQUEST_TIMEOUT_MS, _KEEP_ALIVE_TIMEOUT_MS)', () => {
  let t: TestApp;
  let dash: TestDashboard;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { requestTimeoutMs: TIMEOUT_MS, keepAliveTimeoutMs: TIMEOUT_MS });
    dash = await t.createDashboard('Timeout game');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 408 and closes a connection whose JSON body trickles in', async () => {
    const body = JSON.stringify({ actions: [{ user_id: 'u1', action_name: 'a' }] });
    const head =
      `POST /v1/actions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${dash.keys.production}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const out = await trickle(port, head, bytes(body), 150, 6000);
    expect(out.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(out.text).toMatch(/connection: close/i);
    expect(out.text).toContain('"code":408');
    expect(out.text).toContain(`within ${TIMEOUT_MS / 1000} s`);
    expect(out.closedAfterMs).toBeLessThan(4000);
  });

  it('answers 408 and closes a connection whose headers trickle in', async () => {
    const out = await trickle(
      port,
      'GET /healthz HTTP/1.1\r\n',
      bytes('X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
      150,
      6000,
    );
    expect(out.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(out.text).toMatch(/connection: close/i);
    expect(JSON.parse(out.text.split('\r\n\r\n')[1]!)).toEqual({
      code: 408,
      message: `the request headers did not arrive within ${TIMEOUT_MS / 1000} s: send them at once`,
      data: null,
    });
    expect(out.closedAfterMs).toBeLessThan(4000);
  });

  it('answers a malformed request line with the 400 envelope and closes the connection', async () => {
    const out = await trickle(port, 'NOT HTTP AT ALL\r\n\r\n', [], 100, 3000);
    expect(out.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(out.text).toMatch(/connection: close/i);
    expect(JSON.parse(out.text.split('\r\n\r\n')[1]!)).toEqual({
      code: 400,
      message: 'the request line or headers are not valid HTTP/1.1',
      data: null,
    });
    expect(out.closedAfterMs).toBeLessThan(2000);
  });

  it('answers headers past the size limit with the 431 envelope', async () => {
    const out = await trickle(
      port,
      `GET /healthz HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      [],
      100,
      3000,
    );
    expect(out.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(out.text.split('\r\n\r\n')[1]!)).toMatchObject({ code: 431, data: null });
    expect(out.closedAfterMs).toBeLessThan(2000);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const out = await trickle(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', [], 1000, 6000);
    expect(out.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(out.text).toMatch(/connection: keep-alive/i);
    expect(out.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(out.closedAfterMs).toBeLessThan(4000);
  });

  const BOUNDARY = 'tfboundary';
  const uploadHead = (length: number) =>
    `POST /v1/kpis/csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${dash.keys.production}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
  const multipart = (csv: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="k.csv"\r\nContent-Type: text/csv\r\n\r\n` +
    `${csv}\r\n--${BOUNDARY}--\r\n`;

  it('lets a CSV upload that streams steadily run past the request timeout', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `2026-01-01 00:00:00,u${i},,,kpi,${i}`);
    const body = multipart(`timestamp,user_id,register_date,churn_date,kpi_id,value\n${rows.join('\n')}\n`);
    // ~90 KiB in 2 KiB pieces every 100 ms: about 4.5 s, well above the minimum rate.
    const pieces: string[] = [];
    for (let i = 0; i < body.length; i += 2048) pieces.push(body.slice(i, i + 2048));
    const out = await trickle(port, uploadHead(Buffer.byteLength(body)), pieces, 100, 20_000);
    expect(out.text).toMatch(/^HTTP\/1\.1 201 /);
    expect(out.text).toContain('ingestion has been started');
  }, 30_000);

  it('cuts an upload that trickles slower than the minimum rate with 408', async () => {
    const body = multipart(
      'timestamp,user_id,register_date,churn_date,kpi_id,value\n2026-01-01 00:00:00,u1,,,k,1\n',
    );
    const out = await trickle(port, uploadHead(body.length), bytes(body), 100, 8000);
    expect(out.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(out.text).toContain('slower than 1024 bytes per second');
    expect(out.closedAfterMs).toBeLessThan(5000);
  });
});
