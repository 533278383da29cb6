import { Type, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS } from '../../domain/records.js';
import type { NotificationService } from '../../notifications/notifications.service.js';
import { PROVIDERS } from '../../sources/connection-source.js';
import type { StorageConnectionService } from '../../sources/storage-connections.service.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';

const admin = adminDoc('admin');
const errors = ADMIN_ERRORS;
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
    endpoint: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'An S3-compatible store’s URL, or another GCS JSON-API endpoint',
      }),
    ),
    region: Type.Optional(Type.String({ maxLength: 64 })),
    credentials: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 16384 }), {
        description:
          's3: {"access_key_id", "secret_access_key"}; gcs: {"service_account_json"}; azure: {"connection_string"} or {"sas_url"}; never shown again',
      }),
    ),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'local: a directory' })),
    schedule_minutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10080,
        description: 'Sync every N minutes (on demand only when absent)',
      }),
    ),
  },
  { additionalProperties: false },
);
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const SyncError = Type.Object({
  file: Nullable(Type.String()),
  line: Nullable(Type.Integer()),
  field: Nullable(Type.String()),
  message: Type.String(),
});
const SyncCounts = {
  files_seen: Type.Integer({ description: 'Files listed under the root folders' }),
  files_ingested: Type.Integer(),
  files_updated: Type.Integer({ description: 'Files whose ETag changed, ingested again as a new version' }),
  updated_files: Type.Array(Type.String()),
  records_ingested: Type.Integer({ description: 'Records stored by this sync (new)' }),
  records_already_stored: Type.Integer({
    description: 'Records of the files stored before, by any channel (an import, a connection): kept once',
  }),
  records_withheld: Type.Integer({
    description: 'Records of players deleted after the file was written: not stored',
  }),
  files_failed: Type.Integer(),
  errors: Type.Array(SyncError),
};
const SyncResult = Type.Object(SyncCounts);
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
  schedule_minutes: Nullable(Type.Integer()),
  created_at: Type.String(),
  status: StringEnum(['never_synced', 'ok', 'errors', 'unreachable'] as const),
  last_sync_at: Nullable(Type.String()),
  next_sync_at: Nullable(Type.String()),
  files_ingested: Type.Integer({ description: 'Files ingested since the connection was created' }),
  records_ingested: Type.Integer({ description: 'Rows stored from those files' }),
  records_rejected: Type.Integer({ description: 'Rows of those files refused' }),
  last_sync: Nullable(Type.Object({ ...SyncCounts, started_at: Type.String(), finished_at: Type.String() })),
});
const TestResult = Type.Object({
  ok: Type.Boolean(),
  files: Type.Integer(),
  files_checked: Type.Integer(),
  message: Type.String(),
  errors: Type.Array(
    Type.Object({
      file: Type.Optional(Type.String()),
      line: Type.Optional(Type.Integer()),
      message: Type.String(),
    }),
  ),
});
const Notifications = Type.Object(
  {
    webhook_url: Nullable(
      Type.String({ maxLength: 2048, description: 'http(s) URL receiving sync errors; null stops them' }),
    ),
  },
  { additionalProperties: false },
);
const NotificationsAnswer = Type.Object({
  webhook_url: Nullable(
    Type.String({ description: 'The URL, its user name, password and query values shown as ***' }),
  ),
  secret: Type.Optional(
    Type.String({ description: 'The signing secret of a new webhook: shown only in this answer' }),
  ),
});
const RotatedSecret = Type.Object({
  secret: Type.String({ description: 'The new signing secret: shown only in this answer' }),
});

/** Storage connections (bucket channel) and notification webhooks of a dashboard, under /admin/v1. */
export function adminSourceRoutes(
  connections: StorageConnectionService,
  notifications: NotificationService,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));
    const base = '/dashboards/:id/storage-connections';
    // Generic so that each route's handler gets the types of its own params, body and answer.
    const route = <P extends TSchema, R extends TSchema, E extends object = object>(
      summary: string,
      params: P,
      response: R,
      extra: E = {} as E,
    ) => ({
      schema: { ...admin, summary, params, response: { 200: response, ...errors }, ...extra },
    });

    app.post(
      base,
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
        const { id } = request.params;
        return reply.code(201).send(await connections.create(id, request.body));
      },
    );
    app.get(
      base,
      route('Storage connections of a dashboard', DashboardParams, Type.Array(Connection)),
      (request) => connections.list(request.params.id),
    );
    app.get(
      `${base}/:cid`,
      route(
        'A storage connection: status, last sync, files, errors (never credentials)',
        ConnectionParams,
        Connection,
      ),
      (request) => {
        const { id, cid } = request.params;
        return connections.get(id, cid);
      },
    );
    app.delete(
      `${base}/:cid`,
      {
        schema: {
          ...admin,
          summary: 'Remove a storage connection (records it ingested stay)',
          params: ConnectionParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { id, cid } = request.params;
        await connections.remove(id, cid);
        return reply.code(204).send(null);
      },
    );
    app.post(
      `${base}/:cid/test`,
      route(
        'Test a connection: connect, then check the first lines of a few files',
        ConnectionParams,
        TestResult,
      ),
      (request) => {
        const { id, cid } = request.params;
        return connections.test(id, cid);
      },
    );
    app.post(
      `${base}/:cid/sync`,
      route('Sync now: ingest every file not ingested before (by path + ETag)', ConnectionParams, SyncResult),
      (request) => {
        const { id, cid } = request.params;
        return connections.sync(id, cid);
      },
    );
    app.put(
      '/dashboards/:id/notifications',
      route(
        'Set the webhook URL that receives the dashboard’s sync errors (a new one answers its signing secret once)',
        DashboardParams,
        NotificationsAnswer,
        { body: Notifications },
      ),
      (request) => {
        const { id } = request.params;
        return notifications.setWebhook(id, request.body.webhook_url);
      },
    );
    app.get(
      '/dashboards/:id/notifications',
      route('The dashboard’s notification webhook', DashboardParams, NotificationsAnswer),
      (request) => notifications.webhook(request.params.id),
    );
    app.post(
      '/dashboards/:id/notifications/secret',
      route(
        'Rotate the signing secret of the dashboard’s webhook: the new one is answered once',
        DashboardParams,
        RotatedSecret,
      ),
      (request) => notifications.rotateSecret(request.params.id),
    );
  };
}
