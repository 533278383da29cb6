import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { envelope } from '../envelope.js';

/** "body name is required", "querystring environment must be one of production, sandbox". */
function validationMessage(error: FastifyError): string {
  const v = error.validation?.[0];
  if (!v) return 'the request is invalid';
  const params = v.params as {
    missingProperty?: string;
    allowedValues?: unknown[];
    additionalProperty?: string;
  };
  const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = [error.validationContext, path || params.missingProperty].filter(Boolean).join(' ');
  const what =
    v.keyword === 'required'
      ? 'is required'
      : v.keyword === 'enum'
        ? `must be one of ${(params.allowedValues ?? []).map(String).join(', ')}`
        : v.keyword === 'additionalProperties'
          ? `has an unknown field "${params.additionalProperty ?? ''}"`
          : (v.message ?? 'is invalid');
  return `${where} ${what}`.trim();
}

/** Fastify's own client errors (FST_…) have messages written for callers; others may not. */
function isFastifyError(error: FastifyError): boolean {
  return typeof error.code === 'string' && error.code.startsWith('FST_');
}

/** What a client may be told about a 4xx it caused, in a plain sentence. */
function clientMessage(
  app: FastifyInstance,
  error: FastifyError,
  request: FastifyRequest,
  status: number,
): string {
  const contentType = request.headers['content-type'] ?? '';
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      // A route may allow less than the server (the survey's form posts).
      const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0;
      return `the request body is larger than the ${limit} bytes allowed`;
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported Content-Type "${contentType}": send application/json`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty: send a JSON object';
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return 'the gzip request body is corrupt';
    default:
      return isFastifyError(error) ? error.message : (STATUS_CODES[status] ?? 'bad request').toLowerCase();
  }
}

/**
 * One error handler: typed service errors keep their status and message; Fastify's own
 * client errors get a plain sentence; anything else is a 500 (or the 503 it asked for) whose
 * body reveals nothing inside — no message, stack, SQL or file path, only the request id that
 * finds the full error in the server's log.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(error.status).send(envelope(error.status, error.message, error.data));
    }
    if (error.validation) {
      return reply.code(400).send(envelope(400, validationMessage(error), null));
    }
    // zlib's errors while inflating a gzip body are the client's: its body is corrupt.
    const corruptGzip = typeof error.code === 'string' && error.code.startsWith('Z_');
    const status = corruptGzip ? 400 : typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const message = clientMessage(app, error, request, status);
      return reply.code(status).send(envelope(status, message, null));
    }
    request.log.error({ err: error }, 'request failed');
    const code = status === 503 ? 503 : 500;
    const what = code === 503 ? 'service unavailable' : 'internal server error';
    return reply
      .code(code)
      .send(envelope(code, `${what}; quote request id ${request.id} to the operator`, null));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return reply.code(404).send(envelope(404, `no endpoint ${request.method} ${path}`, null));
  });
}
