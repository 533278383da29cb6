import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../../config/config.js';
import { envelope } from '../envelope.js';

type ClientErrorHandler = NonNullable<FastifyServerOptions['clientErrorHandler']>;

/** The status and the sentence for an error Node met before a request existed. */
function problemOf(code: string | undefined, requestTimeoutMs: number): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, `the request headers did not arrive within ${requestTimeoutMs / 1000} s: send them at once`];
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'the request headers are too large: send fewer or shorter headers'];
  }
  return [400, 'the request line or headers are not valid HTTP/1.1'];
}

/**
 * Errors Node's HTTP parser meets before there is a request to route (headers still arriving at
 * TRAITFORGE_REQUEST_TIMEOUT_MS, a malformed request line or header, headers too large): answered
 * with the API's `{code, message, data}` envelope instead of Fastify's own body, then the socket
 * is closed, since the rest of what the client sends can no longer be framed. No API family can
 * be told from a request that was never parsed, so every path gets the envelope.
 */
export function clientErrorHandler(config: Pick<Config, 'requestTimeoutMs'>): ClientErrorHandler {
  return (error: Error & { code?: string }, socket: Socket) => {
    // A reset or an already closed socket: nobody is left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] = problemOf(error.code, config.requestTimeoutMs);
    // Node's rule: never write into the middle of an answer already started on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify(envelope(status, message, null));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroySoon();
  };
}
