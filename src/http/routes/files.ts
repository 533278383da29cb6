import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { FileKind } from '../../files/csv-mapping.js';
import type { FileIngestionService } from '../../files/file-ingestion.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { principalOf, requireApiKey } from '../plugins/auth.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const security = [{ apiKey: [] }];
const Started = Type.Object({
  estimated_time_to_complete: Type.Number({ description: 'Seconds' }),
  ingestion_id: Type.String(),
});
const IngestionStatus = Type.Object({
  ingestion_id: Type.String(),
  status: Type.String({ description: 'queued, running, succeeded or failed' }),
  rows_accepted: Type.Integer(),
  rows_rejected: Type.Integer(),
  errors: Type.Array(
    Type.Object({
      line: Type.Integer(),
      field: Type.Union([Type.String(), Type.Null()]),
      message: Type.String(),
    }),
  ),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
});
const errors = {
  400: ErrorEnvelopeSchema,
  401: ErrorEnvelopeSchema,
  403: ErrorEnvelopeSchema,
  404: ErrorEnvelopeSchema,
};

/**
 * The multipart parser's own errors (no final boundary, a truncated part, no or an over-long
 * boundary) are plain `Error`s: they mean the client's body is malformed. Errors with a status
 * (the plugin's limits, 413) and our own keep theirs.
 */
function asClientError(error: unknown): unknown {
  if (error instanceof AppError || !(error instanceof Error)) return error;
  if (typeof (error as { statusCode?: unknown }).statusCode === 'number') return error;
  return new AppError('bad_request', `the multipart body is malformed: ${error.message}`);
}

/**
 * The file part's bytes, with its stream's errors read as the client's. Errors raised while
 * the service stores the bytes happen in the consumer, outside this loop, and stay server errors.
 */
async function* partBytes(file: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of file) yield chunk;
  } catch (error) {
    throw asClientError(error);
  }
}

/**
 * CSV uploads (`POST /v1/kpis/csv`, `/v1/survey-data/csv`, multipart field `file`) and the
 * ingestion status (`GET /v1/ingestions/:id`), with the 12traits key.
 */
export function fileRoutes(tenancy: TenancyService, files: FileIngestionService) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    await app.register(multipart, {
      // One byte over the limit reaches the service, which refuses the upload with 413.
      limits: { fileSize: files.maxUploadBytes + 1, files: 1, fields: 10, parts: 20 },
      throwFileSizeLimit: true,
    });
    app.addHook('onRequest', requireApiKey(tenancy));

    const upload =
      (kind: FileKind) => async (request: FastifyRequest, reply: { code(n: number): unknown }) => {
        const principal = principalOf(request);
        if (!request.isMultipart()) {
          throw new AppError(
            'unsupported_media_type',
            'send the CSV as multipart/form-data with the file in the field "file"',
          );
        }
        const part = await request.file().catch((error: unknown) => {
          throw asClientError(error);
        });
        if (!part || part.fieldname !== 'file') {
          throw new AppError('bad_request', 'no file: send the CSV in the multipart field "file"');
        }
        const { ingestionId, estimatedSeconds } = await files.upload(principal, kind, partBytes(part.file));
        reply.code(201);
        return envelope(201, 'ingestion has been started', {
          estimated_time_to_complete: estimatedSeconds,
          ingestion_id: ingestionId,
        });
      };
    const uploadSchema = (summary: string) => ({
      tags: ['12traits ingestion'],
      security,
      summary,
      consumes: ['multipart/form-data'],
      response: {
        201: EnvelopeSchema(Started),
        400: ErrorEnvelopeSchema,
        401: ErrorEnvelopeSchema,
        403: ErrorEnvelopeSchema,
        413: ErrorEnvelopeSchema,
        415: ErrorEnvelopeSchema,
      },
    });
    // Uploads are held to a minimum rate, not the request deadline: a large file takes its time.
    const streamed = { streamedUpload: true };
    app.post(
      '/v1/kpis/csv',
      { schema: uploadSchema('Upload KPIs as CSV'), config: streamed },
      upload('kpis'),
    );
    app.post(
      '/v1/survey-data/csv',
      { schema: uploadSchema('Upload custom survey data as CSV'), config: streamed },
      upload('survey_data'),
    );

    app.get(
      '/v1/ingestions/:id',
      {
        schema: {
          tags: ['12traits ingestion'],
          security,
          summary: 'Status of a CSV ingestion',
          params: IdParams,
          response: { 200: EnvelopeSchema(IngestionStatus), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        return envelope(200, '', await files.status(principalOf(request), id));
      },
    );
  };
}
