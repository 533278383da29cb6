import type { TObject } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RecordTypeDef } from '../../domain/records.js';
import { AppError } from '../../errors.js';
import type { IngestRequest, IngestService } from '../../ingest/ingest.service.js';
import type { RejectLog } from '../../ingest/reject-log.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { principalOf } from '../plugins/auth.js';
import { describeError } from '../plugins/errors.js';
import { VALIDATED_BY_SERVICE } from '../plugins/validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The record type an ingest route takes (for the reject log). */
    recordType?: string;
  }
}

/**
 * Records refused pushes of authenticated callers in the reject log (the dashboard shows them).
 * It runs on the error path only and is not awaited, so neither accepted batches nor the
 * refusal's answer wait for it.
 */
export function installRejectLog(app: FastifyInstance, rejects: RejectLog): void {
  app.addHook('onError', async (request, _reply, error) => {
    const type = request.routeOptions.config.recordType;
    if (!request.principal || type === undefined) return;
    // Recorded as the client was told it (the same reading as the error handler's), not as raised.
    rejects.record(request.principal, type, describeError(error, request)).catch((cause: unknown) => {
      request.log.warn({ err: cause }, 'could not record a refused push');
    });
  });
}

export interface IngestRouteSpec {
  def: RecordTypeDef;
  bodyKey: string;
  recordSchema: TObject;
  noun: string;
  userField?: IngestRequest['userField'];
  maxBatch: number;
  example: Record<string, unknown>;
}

/** The OpenAPI schema of an ingest endpoint; validation itself is the ingest service's. */
export function ingestSchema(spec: IngestRouteSpec, tag: string, summary: string) {
  const n = 50;
  return {
    tags: [tag],
    summary,
    security: [{ apiKey: [] }],
    headers: Type.Object({
      'idempotency-key': Type.Optional(
        Type.String({
          description: 'Repeating a key with the same body within 24 h returns the first answer',
        }),
      ),
    }),
    body: Type.Object(
      { [spec.bodyKey]: Type.Array(spec.recordSchema, { minItems: 1, maxItems: spec.maxBatch }) },
      { [VALIDATED_BY_SERVICE]: true, examples: [spec.example] },
    ),
    response: {
      201: EnvelopeSchema(Type.Null(), {
        code: 201,
        message: `${n} ${spec.noun} have been successfully ingested`,
        data: null,
      }),
      400: EnvelopeSchema(
        Type.Union([
          Type.Null(),
          Type.Object({
            errors: Type.Array(
              Type.Object({
                index: Type.Integer(),
                field: Type.Union([Type.String(), Type.Null()]),
                message: Type.String(),
              }),
            ),
          }),
        ]),
        {
          code: 400,
          message: `2 of ${n} ${spec.noun} are invalid; nothing was ingested`,
          data: { errors: [{ index: 3, field: 'user_id', message: 'is required' }] },
        },
      ),
      401: ErrorEnvelopeSchema,
      403: ErrorEnvelopeSchema,
      413: ErrorEnvelopeSchema,
      422: ErrorEnvelopeSchema,
    },
  };
}

/** The handler shared by every JSON ingest endpoint: unwrap the body, hand it to the service. */
export function ingestHandler(ingest: IngestService, spec: IngestRouteSpec) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError(
        'bad_request',
        `the body must be a JSON object with "${spec.bodyKey}": an array of ${spec.noun}`,
      );
    }
    const header = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header[0] : header;
    const result = await ingest.ingest({
      principal: principalOf(request),
      def: spec.def,
      records: (body as Record<string, unknown>)[spec.bodyKey],
      schema: spec.recordSchema,
      noun: spec.noun,
      ...(spec.userField ? { userField: spec.userField } : {}),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      // Only hashed when a key is sent: serializing a 1000-record body is not free.
      fingerprint:
        idempotencyKey === undefined
          ? ''
          : `${request.method} ${request.routeOptions.url ?? ''} ${JSON.stringify(request.params)}\n${JSON.stringify(body)}`,
    });
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.code(201).send(envelope(201, result.message, null));
  };
}
