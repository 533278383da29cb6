import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepPosition } from '../../domain/json-depth.js';
import { AppError } from '../../errors.js';
import { syntaxErrorPosition } from '../json-syntax.js';

/** "line 6, column 1 (position 97)": where in the body text a problem is. */
function locate(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column} (position ${position})`;
}

/** Where a JSON.parse error points, as line and column, with a little context. */
function describeJsonError(text: string, error: Error): string {
  // V8 quotes the text around an unexpected token, which may be long: the token is enough.
  const reason = error.message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/^JSON\.parse: /, '')
    .replace(/^(Unexpected token '.*?'),.*$/s, '$1');
  const match = /position (\d+)/.exec(error.message);
  const found = match ? Number(match[1]) : syntaxErrorPosition(text);
  const position = found >= 0 ? found : text.length;
  const near = text.slice(Math.max(0, position - 20), position + 20).replace(/\s+/g, ' ');
  return `invalid JSON at ${locate(text, position)}: ${reason}; near "${near}"`;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError('bad_request', 'the request body is empty: send a JSON object');
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError && !/prototype|constructor/i.test(error.message)) {
      throw new AppError('bad_request', describeJsonError(text, error));
    }
    throw new AppError('bad_request', 'the JSON body may not set "__proto__" or "constructor.prototype"');
  }
  // The walk is cheap (a tenth of the parse); the text scan for the position runs only on refusal.
  if (nestsDeeperThan(value)) {
    throw new AppError(
      'bad_request',
      `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels at ${locate(text, tooDeepPosition(text))}`,
    );
  }
  return value;
}

/**
 * JSON bodies with errors that point at the mistake, and gzip request bodies. The body limit
 * applies to the decompressed size too, so a small gzip bomb is refused like a large body.
 */
export function installBodyParsing(app: FastifyInstance): void {
  // text/plain is Fastify's default too: every API body here is JSON (or multipart, later).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Many clients send this Content-Type on every request: a route that takes no body takes none.
    if (request.routeOptions.schema?.body === undefined && (body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new AppError(
        'unsupported_media_type',
        `unsupported Content-Encoding "${encoding}": send gzip or none`,
      );
    }
    // Fastify compares Content-Length with receivedEncodedLength when a hook swaps the stream.
    const gunzip = Object.assign(createGunzip(), { receivedEncodedLength: 0 });
    payload.on('data', (chunk: Buffer) => {
      gunzip.receivedEncodedLength += chunk.length;
    });
    // A body refused before it is read (wrong Content-Type, no such route) is never consumed:
    // without a listener, its corrupt gzip would be an uncaught error that stops the process.
    // A parser that reads the body gets the error through its own listener.
    gunzip.on('error', () => undefined);
    return payload.pipe(gunzip);
  });
}
