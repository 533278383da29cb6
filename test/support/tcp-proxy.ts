import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TcpProxy {
  /** Listens on a free loopback port; resolves with it. */
  listen(): Promise<number>;
  /** From now on, what clients send reaches the target this much later (ms; 0: at once). */
  delay(ms: number): void;
  /** From now on every connection is refused, and the open ones are closed (the target "stopped"). */
  stop(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * A real TCP proxy in front of a server (a ClickHouse shard). With a delay, what the client sends
 * reaches the target that much later, and a client that goes away takes what is still held with it:
 * a request whose sender dies meanwhile never arrives whole.
 */
export function tcpProxy(target: URL): TcpProxy {
  let refusing = false;
  let delay = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    open.add(client);
    const upstream = connect(Number(target.port), target.hostname);
    // Chunks keep their order: each waits for the one before it, then for the delay.
    let sent = Promise.resolve();
    client.on('data', (chunk) => {
      const wait = delay;
      sent = sent.then(async () => {
        if (wait > 0) await sleep(wait);
        if (!client.destroyed && !upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.pipe(client);
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return {
    listen: () =>
      new Promise<number>((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          resolve((server.address() as { port: number }).port);
        });
      }),
    delay: (ms) => {
      delay = ms;
    },
    stop: () => {
      refusing = true;
      for (const socket of open) socket.destroy();
    },
    resume: () => {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
