import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { envelope } from '../envelope.js';

function fieldOf(error: FastifyError): string {
  const v = error.validation?.[0];
  if (!v) return '';
  const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = (v.params as { missingProperty?: string }).missingProperty;
  return [error.validationContext, path || missing].filter(Boolean).join(' ');
}

/**
 * One error handler: typed service errors keep their status and message; Fastify's own
 * client errors get a plain sentence; anything else is a 500 that reveals nothing inside.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(error.status).send(envelope(error.status, error.message, error.data));
    }
    if (error.validation) {
      const v = error.validation[0];
      const message = `${fieldOf(error)} ${v?.message ?? 'is invalid'}`.trim();
      return reply.code(400).send(envelope(400, message, null));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the request body is larger than the ${app.initialConfig.bodyLimit ?? 0} bytes allowed`
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `unsupported Content-Type "${request.headers['content-type'] ?? ''}": send application/json`
            : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'the request body is empty: send a JSON object'
              : error.message;
      return reply.code(status).send(envelope(status, message, null));
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send(envelope(500, `internal server error; quote request id ${request.id} to the operator`, null));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return reply.code(404).send(envelope(404, `no endpoint ${request.method} ${path}`, null));
  });
}
