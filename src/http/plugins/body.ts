import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { AppError } from '../../errors.js';

/** Where a JSON.parse error points, as line and column, with a little context. */
function describeJsonError(text: string, error: Error): string {
  const reason = error.message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
  const match = /position (\d+)/.exec(error.message);
  const position = match ? Number(match[1]) : text.length;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  const near = text.slice(Math.max(0, position - 20), position + 20).replace(/\s+/g, ' ');
  return `invalid JSON at line ${line}, column ${column} (position ${position}): ${reason}; near "${near}"`;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError('bad_request', 'the request body is empty: send a JSON object');
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError && !/prototype|constructor/i.test(error.message)) {
      throw new AppError('bad_request', describeJsonError(text, error));
    }
    throw new AppError('bad_request', 'the JSON body may not set "__proto__" or "constructor.prototype"');
  }
}

/**
 * JSON bodies with errors that point at the mistake, and gzip request bodies. The body limit
 * applies to the decompressed size too, so a small gzip bomb is refused like a large body.
 */
export function installBodyParsing(app: FastifyInstance): void {
  // text/plain is Fastify's default too: every API body here is JSON (or multipart, later).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
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
    return payload.pipe(gunzip);
  });
}
