import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS } from '../../domain/records.js';
import {
  PROVIDERS,
  type CreateConnection,
  type StorageConnectionService,
} from '../../sources/storage-connections.service.js';
import { ErrorEnvelopeSchema } from '../envelope.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';

const admin = { tags: ['admin'], security: [{ adminToken: [] }] };
const errors = {
  400: ErrorEnvelopeSchema,
  401: ErrorEnvelopeSchema,
  403: ErrorEnvelopeSchema,
  404: ErrorEnvelopeSchema,
};
const DashboardParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const ConnectionParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  cid: Type.String({ maxLength: 100 }),
});
const Create = Type.Object(
  {
    provider: StringEnum(PROVIDERS),
    environment: Type.Optional(StringEnum(ENVIRONMENTS)),
    bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    prefix: Type.Optional(Type.String({ maxLength: 1024 })),
    endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'An S3-compatible store’s URL' })),
    region: Type.Optional(Type.String({ maxLength: 64 })),
    credentials: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4096 }), {
        description:
          's3: {"access_key_id", "secret_access_key"}; azure: {"connection_string"} or {"sas_url"}; never shown again',
      }),
    ),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'local: a directory' })),
    schedule_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
  },
  { additionalProperties: false },
);
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const Connection = Type.Object({
  id: Type.String(),
  dashboard_id: Type.String(),
  provider: Type.String(),
  environment: Type.String(),
  bucket: Nullable(Type.String()),
  prefix: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
  region: Nullable(Type.String()),
  path: Nullable(Type.String()),
  has_credentials: Type.Boolean(),
  schedule_minutes: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.String(),
  last_sync_at: Nullable(Type.String()),
});
const TestResult = Type.Object({ ok: Type.Boolean(), files: Type.Integer(), message: Type.String() });
const SyncResult = Type.Object({
  files_ingested: Type.Integer(),
  records_ingested: Type.Integer(),
  files_failed: Type.Integer(),
  errors: Type.Array(
    Type.Object({
      file: Type.String(),
      line: Type.Union([Type.Integer(), Type.Null()]),
      field: Type.Union([Type.String(), Type.Null()]),
      message: Type.String(),
    }),
  ),
});

/** Storage connections of a dashboard under /admin/v1 (bucket channel). */
export function adminSourceRoutes(connections: StorageConnectionService, adminToken: string | undefined) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', requireAdmin(adminToken));

    app.post(
      '/dashboards/:id/storage-connections',
      {
        schema: {
          ...admin,
          summary: 'Register a storage connection (bucket or directory)',
          params: DashboardParams,
          body: Create,
          response: { 201: Connection, ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params as Static<typeof DashboardParams>;
        const body = request.body as Static<typeof Create>;
        return reply.code(201).send(await connections.create(id, body as CreateConnection));
      },
    );
    app.get(
      '/dashboards/:id/storage-connections/:cid',
      {
        schema: {
          ...admin,
          summary: 'A storage connection (without credentials)',
          params: ConnectionParams,
          response: { 200: Connection, ...errors },
        },
      },
      async (request) => {
        const { id, cid } = request.params as Static<typeof ConnectionParams>;
        return connections.get(id, cid);
      },
    );
    app.post(
      '/dashboards/:id/storage-connections/:cid/test',
      {
        schema: {
          ...admin,
          summary: 'Test a storage connection: list the layout’s root folders',
          params: ConnectionParams,
          response: { 200: TestResult, ...errors },
        },
      },
      async (request) => {
        const { id, cid } = request.params as Static<typeof ConnectionParams>;
        return connections.test(id, cid);
      },
    );
    app.post(
      '/dashboards/:id/storage-connections/:cid/sync',
      {
        schema: {
          ...admin,
          summary: 'Ingest every file not ingested before (by path + ETag)',
          params: ConnectionParams,
          response: { 200: SyncResult, ...errors },
        },
      },
      async (request) => {
        const { id, cid } = request.params as Static<typeof ConnectionParams>;
        return connections.sync(id, cid);
      },
    );
  };
}
