import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  server: Server;
  url: string;
  /** JSON bodies of the deliveries it accepted. */
  bodies: unknown[];
  attempts: () => number;
  close(): Promise<void>;
}

/** A real local HTTP webhook receiver that fails its first `failures` deliveries with 500. */
export function receiver(failures: number): Promise<Receiver> {
  const bodies: unknown[] = [];
  let attempts = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      attempts++;
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
