import { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import { envelope } from '../envelope.js';
import { FORGE_PREFIX, forgeError } from '../routes/forge.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A large body streamed by the handler (CSV uploads): held to a minimum rate, not a deadline. */
    streamedUpload?: boolean;
  }
}

/** The slowest a streamed upload may arrive, averaged over each request-timeout window. */
export const MIN_UPLOAD_BYTES_PER_SECOND = 1024;

/**
 * Node's own checks, given to the HTTP server at creation: the headers must arrive within the
 * request timeout (answered 408 and closed), checked often enough for that to be timely (Node
 * checks every 30 s by default); idle keep-alive connections close after their own timeout.
 */
export function serverTimeouts(config: Pick<Config, 'requestTimeoutMs'>) {
  return {
    headersTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(config.requestTimeoutMs / 4)),
  };
}

function timedOut(request: FastifyRequest, reply: FastifyReply, message: string): void {
  const socket = request.raw.socket;
  // An answer already under way (a 401 sent before the body was read): nothing more to say.
  if (reply.raw.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(
    request.url.startsWith(`${FORGE_PREFIX}/`) ? forgeError(408, message) : envelope(408, message, null),
  );
  // The body is still arriving, so Fastify's own reply cannot be used; `Connection: close`
  // makes Node close the socket once the answer is flushed, which ends the body too.
  void reply.hijack();
  reply.raw.writeHead(408, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  reply.raw.end(body);
}

/**
 * A request body must arrive whole within TRAITFORGE_REQUEST_TIMEOUT_MS of its headers; a
 * streamed upload instead must keep arriving at MIN_UPLOAD_BYTES_PER_SECOND or more over each
 * such window (a 256 MiB CSV on a slow link takes minutes, a trickling one is cut). A window in
 * which the server itself was behind (the body waiting, unread) does not count against the
 * client. Without this a client sending one byte now and then holds a connection forever.
 */
export function installRequestTimeouts(app: FastifyInstance, config: Pick<Config, 'requestTimeoutMs'>): void {
  const windowMs = config.requestTimeoutMs;
  const minBytes = Math.ceil((MIN_UPLOAD_BYTES_PER_SECOND * windowMs) / 1000);
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const socket = raw.socket as Socket | undefined;
    // Injected requests (tests) have no network socket and nothing to wait for.
    if (raw.complete || !(socket instanceof Socket)) {
      done();
      return;
    }
    const upload = request.routeOptions.config.streamedUpload === true;
    let seen = socket.bytesRead;
    const check = () => {
      if (raw.complete || socket.destroyed) return;
      const arrived = socket.bytesRead - seen;
      seen = socket.bytesRead;
      const serverBehind = raw.isPaused() || raw.readableLength > 0;
      if (upload && (arrived >= minBytes || serverBehind)) {
        timer = setTimeout(check, windowMs).unref();
        return;
      }
      timedOut(
        request,
        reply,
        upload
          ? `the upload arrived slower than ${MIN_UPLOAD_BYTES_PER_SECOND} bytes per second: send it at a steady rate`
          : `the request did not arrive whole within ${windowMs / 1000} s: send the body at once`,
      );
    };
    let timer = setTimeout(check, windowMs).unref();
    raw.once('close', () => {
      clearTimeout(timer);
    });
    done();
  });
}
