import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived (what a signature covers). */
  raw: string;
}

export interface Receiver {
  server: Server;
  url: string;
  /** JSON bodies of the deliveries it accepted. */
  bodies: unknown[];
  /** Every request, accepted or not, in arrival order. */
  requests: ReceivedRequest[];
  attempts: () => number;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Answer every request with this status and headers instead (e.g. a 307 redirect). */
  answer?: { status: number; headers?: Record<string, string> };
}

/** A real local HTTP webhook receiver that fails its first `failures` deliveries with 500. */
export function receiver(failures: number, options: ReceiverOptions = {}): Promise<Receiver> {
  const bodies: unknown[] = [];
  const requests: ReceivedRequest[] = [];
  let attempts = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      attempts++;
      requests.push({ url: req.url ?? '', headers: req.headers, raw: text });
      if (options.answer) {
        res.writeHead(options.answer.status, options.answer.headers).end();
        return;
      }
      if (attempts <= failures) {
        res.writeHead(500).end();
        return;
      }
      bodies.push(JSON.parse(text));
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        url: `http://127.0.0.1:${port}/hook`,
        bodies,
        requests,
        attempts: () => attempts,
        close: () =>
          new Promise((done) =>
            server.close(() => {
              done();
            }),
          ),
      });
    });
  });
}
