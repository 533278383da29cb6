import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { envelope } from '../envelope.js';

/** What the client is told about a request that failed: the status, a plain sentence, details. */
export interface Problem {
  status: number;
  message: string;
  data: unknown;
}

/**
 * An API family's documented error body. Every family writes its own shape from the same
 * `Problem`, so what a failure means (status, message, what is logged) is decided once.
 */
export interface ErrorFamily {
  send(problem: Problem, request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
  /** The sentence for a path under the family that no route takes. */
  notFound(path: string, request: FastifyRequest): string;
}

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
function clientMessage(error: FastifyError, request: FastifyRequest, status: number): string {
  const contentType = request.headers['content-type'] ?? '';
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      // A route may allow less than the server (the survey's form posts).
      const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0;
      return `the request body is larger than the ${limit} bytes allowed`;
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported Content-Type "${contentType}": send application/json`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty: send a JSON object';
    default:
      return isFastifyError(error) ? error.message : (STATUS_CODES[status] ?? 'bad request').toLowerCase();
  }
}

/** zlib's errors while inflating a gzip body are the client's: its body is corrupt. */
function isCorruptGzip(error: FastifyError): boolean {
  return typeof error.code === 'string' && error.code.startsWith('Z_');
}

/**
 * The one reading of a failure: typed service errors keep their status and message; Fastify's
 * own client errors get a plain sentence; anything else is a 500 (or the 503 it asked for)
 * that reveals nothing inside — no message, stack, SQL or file path, only the request id that
 * finds the full error in the server's log. The reject log records this same answer.
 */
export function describeError(error: FastifyError | AppError, request: FastifyRequest): Problem {
  if (error instanceof AppError) return { status: error.status, message: error.message, data: error.data };
  if (error.validation) return { status: 400, message: validationMessage(error), data: null };
  if (isCorruptGzip(error)) return { status: 400, message: 'the gzip request body is corrupt', data: null };
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, message: clientMessage(error, request, status), data: null };
  }
  const code = status === 503 ? 503 : 500;
  const what = code === 503 ? 'service unavailable' : 'internal server error';
  return { status: code, message: `${what}; quote request id ${request.id} to the operator`, data: null };
}

/**
 * Sends a JSON error body past the route's response schemas: an error body that does not
 * match a route's documented success shape must still reach the client, never Fastify's
 * "failed to serialize" 500.
 */
export function sendJsonError(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .serializer((payload) => JSON.stringify(payload))
    .send(body);
}

/** The 12traits family (and the admin API): `{code, message, data}`. */
export const envelopeErrors: ErrorFamily = {
  send: (problem, _request, reply) =>
    sendJsonError(reply, problem.status, envelope(problem.status, problem.message, problem.data)),
  notFound: (path, request) => `no endpoint ${request.method} ${path}`,
};

/** Each server's families by path prefix, for the errors Fastify raises before routing. */
const FAMILIES_BY_PREFIX = new WeakMap<object, [string, ErrorFamily][]>();

/**
 * Installs the error and not-found handlers of an API family on `app` (the root: the 12traits
 * envelope; a family's plugin: its own shape, with its path prefix). Unexpected errors are
 * logged with their cause.
 */
export function installErrorHandler(
  app: FastifyInstance,
  family: ErrorFamily = envelopeErrors,
  prefix?: string,
): void {
  if (prefix !== undefined) {
    const families = FAMILIES_BY_PREFIX.get(app.server) ?? [];
    families.push([prefix, family]);
    FAMILIES_BY_PREFIX.set(app.server, families);
  }
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const problem = describeError(error, request);
    if (problem.status >= 500 && !(error instanceof AppError)) {
      request.log.error({ err: error }, 'request failed');
    }
    return family.send(problem, request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return family.send({ status: 404, message: family.notFound(path, request), data: null }, request, reply);
  });
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode or a path parameter over the length
 * limit is refused before any route (or its family's handler) is chosen, so the family comes
 * from the path prefix here. Without this, Fastify answers with its own body.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | Promise<FastifyReply> {
  const path = request.url.split('?')[0] ?? '';
  const match = (FAMILIES_BY_PREFIX.get(request.server.server) ?? []).find(
    ([prefix]) => path === prefix || path.startsWith(`${prefix}/`),
  );
  // A parameter over the limit is the client's mistake like any other: 400, not Fastify's 414.
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 400 : (error.statusCode ?? 400);
  const problem = {
    status,
    message: `the URL ${error.code === 'FST_ERR_BAD_URL' ? 'cannot be decoded' : 'has a path segment over the length allowed'}`,
    data: null,
  };
  return (match?.[1] ?? envelopeErrors).send(problem, request, reply);
}
