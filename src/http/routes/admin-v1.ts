import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ALL_RECORD_TYPES, ENVIRONMENTS } from '../../domain/records.js';
import { MAX_LIST_LIMIT, type RecordsService } from '../../records/records.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import type { PlayFabService } from '../../playfab/playfab.service.js';
import { StringEnum } from '../schemas.js';
import { requireAdmin } from '../plugins/auth.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';

const EnvironmentSchema = StringEnum(ENVIRONMENTS, { description: 'production or sandbox' });
const KeySchema = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'The API key itself: shown only in this answer' }),
  environment: EnvironmentSchema,
  prefix: Type.String(),
});
const KeySummarySchema = Type.Object({
  id: Type.String(),
  environment: EnvironmentSchema,
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  created_at: Type.String({ format: 'date-time' }),
  revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const DashboardSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});
const errors = ADMIN_ERRORS;
const admin = adminDoc('admin');

const CreateDashboardBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ description: 'Game slug usable as :game in /v1/games/:game/...' })),
  },
  { additionalProperties: false },
);
const RecordsQuery = Type.Object(
  {
    environment: Type.Optional(EnvironmentSchema),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 100 })),
  },
  { additionalProperties: false },
);

/** The operator API under /admin/v1 (Authorization: Bearer $TRAITFORGE_ADMIN_TOKEN). */
export function adminV1Routes(
  tenancy: TenancyService,
  records: RecordsService,
  playfab: PlayFabService,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));

    app.post(
      '/dashboards',
      {
        schema: {
          ...admin,
          summary: 'Create a dashboard with one production and one sandbox key',
          body: CreateDashboardBody,
          response: {
            201: Type.Intersect([
              DashboardSchema,
              Type.Object({
                keys: Type.Object({ production: Type.String(), sandbox: Type.String() }),
                key_ids: Type.Object({ production: Type.String(), sandbox: Type.String() }),
              }),
            ]),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await tenancy.createDashboard(body.name, body.slug);
        return reply.code(201).send({
          ...created,
          keys: { production: created.keys.production.key, sandbox: created.keys.sandbox.key },
          key_ids: { production: created.keys.production.id, sandbox: created.keys.sandbox.id },
        });
      },
    );

    app.get(
      '/dashboards',
      {
        schema: {
          ...admin,
          summary: 'List dashboards',
          response: { 200: Type.Array(DashboardSchema), ...errors },
        },
      },
      () => tenancy.listDashboards(),
    );

    app.get(
      '/dashboards/:id',
      {
        schema: {
          ...admin,
          summary: 'One dashboard',
          params: DashboardParams,
          response: { 200: DashboardSchema, ...errors },
        },
      },
      (request) => tenancy.getDashboard(request.params.id),
    );

    const CreateKeyBody = Type.Object({ environment: EnvironmentSchema }, { additionalProperties: false });
    app.post(
      '/dashboards/:id/keys',
      {
        schema: {
          ...admin,
          summary: 'Create an API key (shown once)',
          params: DashboardParams,
          body: CreateKeyBody,
          response: { 201: KeySchema, ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const { environment } = request.body;
        return reply.code(201).send(await tenancy.createKey(id, environment));
      },
    );

    app.get(
      '/dashboards/:id/keys',
      {
        schema: {
          ...admin,
          summary: "List a dashboard's keys (prefixes only)",
          params: DashboardParams,
          response: { 200: Type.Array(KeySummarySchema), ...errors },
        },
      },
      (request) => tenancy.listKeys(request.params.id),
    );

    const KeyParams = Type.Object({
      id: Type.String({ maxLength: 100 }),
      key_id: Type.String({ maxLength: 100 }),
    });
    app.delete(
      '/dashboards/:id/keys/:key_id',
      {
        schema: {
          ...admin,
          summary: 'Revoke a key: refused at once by every server process',
          params: KeyParams,
          response: { 200: Type.Object({ id: Type.String(), revoked: Type.Literal(true) }), ...errors },
        },
      },
      async (request) => {
        const { id, key_id } = request.params;
        await tenancy.revokeKey(id, key_id);
        return { id: key_id, revoked: true as const };
      },
    );

    const RecordsParams = Type.Object({
      id: Type.String({ maxLength: 100 }),
      type: StringEnum(ALL_RECORD_TYPES),
    });
    app.get(
      '/dashboards/:id/records/:type',
      {
        schema: {
          ...admin,
          summary: 'Stored records of one type, newest first, in the documented JSON shape',
          params: RecordsParams,
          querystring: RecordsQuery,
          response: { 200: Type.Array(Type.Record(Type.String(), Type.Any())), ...errors },
        },
      },
      async (request) => {
        const { id, type } = request.params;
        const query = request.query;
        await tenancy.getDashboard(id);
        return records.list(id, type, query.environment ?? 'production', query.user_id, query.limit ?? 100);
      },
    );

    app.get(
      '/dashboards/:id/stats',
      {
        schema: {
          ...admin,
          summary: 'Stored records per type and environment; records received per day (30 days)',
          params: DashboardParams,
        },
      },
      async (request) => {
        const { id } = request.params;
        await tenancy.getDashboard(id);
        return records.stats(id);
      },
    );

    const PlayFabSettings = Type.Object(
      { level_statistics: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 50 }) },
      { additionalProperties: false, examples: [{ level_statistics: ['PlayerLevel'] }] },
    );
    const PlayFabAnswer = Type.Object({
      dashboard_id: Type.String(),
      level_statistics: Type.Array(Type.String()),
    });
    app.put(
      '/dashboards/:id/playfab',
      {
        schema: {
          ...admin,
          summary: 'PlayFab statistics that are the player level (player_statistic_changed → level-up)',
          params: DashboardParams,
          body: PlayFabSettings,
          response: { 200: PlayFabAnswer, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        await tenancy.getDashboard(id);
        const names = request.body.level_statistics;
        return { dashboard_id: id, level_statistics: await playfab.setLevelStatistics(id, names) };
      },
    );
    app.get(
      '/dashboards/:id/playfab',
      {
        schema: {
          ...admin,
          summary: 'PlayFab settings',
          params: DashboardParams,
          response: { 200: PlayFabAnswer, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        await tenancy.getDashboard(id);
        return { dashboard_id: id, level_statistics: await playfab.levelStatistics(id) };
      },
    );
  };
}
