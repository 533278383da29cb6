import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ENVIRONMENTS } from '../../domain/records.js';
import type { PersonaService } from '../../personas/persona.service.js';
import { SegmentFilterSchema } from '../../personas/segment-filter.js';
import type { SegmentService } from '../../personas/segments.service.js';
import { MAX_IMPORT_PLAYERS, type TraitImportService } from '../../personas/trait-import.service.js';
import { ErrorEnvelopeSchema } from '../envelope.js';
import { requireAdmin } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';
import { ADMIN_ERRORS, adminDoc, DashboardParams } from '../admin-schemas.js';

const admin = adminDoc('admin: personas');
const errors = ADMIN_ERRORS;
const SegmentParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  sid: Type.String({ maxLength: 100 }),
});
const PlayerParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  user_id: Type.String({ minLength: 1, maxLength: 256 }),
});
const EnvironmentQuery = Type.Object(
  { environment: Type.Optional(StringEnum(ENVIRONMENTS, { description: 'production or sandbox' })) },
  { additionalProperties: false },
);
const ImportQuery = Type.Object(
  { environment: StringEnum(ENVIRONMENTS, { description: 'production or sandbox' }) },
  { additionalProperties: false },
);
// The players are checked by the service, so that every invalid one is listed (index, field,
// message) rather than the first schema error.
const ImportBody = Type.Object(
  {
    players: Type.Array(Type.Unknown(), {
      description: `1 to ${MAX_IMPORT_PLAYERS} players: {"user_id": "…", "traits": {<category>: {<Trait>: 0–100}}}, every category and trait of the traits response`,
    }),
  },
  { additionalProperties: false },
);
const PlayerTraits = Type.Object({
  user_id: Type.String(),
  environment: Type.String(),
  surveyed: Type.Boolean({ description: 'The scores come from a survey completed on this server' }),
  completed_at: Type.Union([Type.String(), Type.Null()]),
  scores_source: Type.Union([StringEnum(['survey', 'imported']), Type.Null()]),
  imported_at: Type.Union([Type.String(), Type.Null()]),
  scores: Type.Union([
    Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()), {
      description: 'Trait scores (0–100) by category, as in the personas traits response',
    }),
    Type.Null(),
  ]),
  personas: Type.Array(
    Type.Object({
      segment_id: Type.String(),
      segment_name: Type.String(),
      persona: Type.Integer(),
      source: Type.String({ description: 'surveyed (scored) or predicted' }),
      probabilities: Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()], {
        description:
          'the scored member’s probability of each persona (negligible ones left out); null when predicted',
      }),
    }),
  ),
});
/**
 * The recompute's answer, per environment and segment. `evidence` and `prediction` are documented
 * in docs/api.md field by field; here they are left open so the document never drops a field the
 * service adds.
 */
const RecomputeAnswer = Type.Object({
  dashboard_id: Type.String(),
  environments: Type.Array(
    Type.Object({
      environment: StringEnum(ENVIRONMENTS),
      segments: Type.Array(
        Type.Object(
          {
            segment_id: Type.String(),
            name: Type.String(),
            players: Type.Integer(),
            surveyed: Type.Integer(),
            predicted: Type.Integer(),
            k: Type.Integer({ description: 'number of personas (0: no scored player)' }),
            distinct_personas: Type.Boolean({
              description: 'false when one persona is all the evidence supports',
            }),
            evidence: Type.Unknown({ description: 'how k was chosen (null without a model fit)' }),
            personas: Type.Array(
              Type.Object({
                persona: Type.Integer(),
                size: Type.Integer(),
                surveyed: Type.Integer(),
                surveyed_expected: Type.Number(),
                predicted: Type.Integer(),
              }),
            ),
            prediction: Type.Unknown({
              description: 'the predictor and its figures (null without scored players)',
            }),
            computed_at: Type.String(),
          },
          { additionalProperties: true },
        ),
      ),
    }),
  ),
});
const SegmentSchema = Type.Object({ id: Type.String(), name: Type.String(), filter: SegmentFilterSchema });
const CreateSegment = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), filter: Type.Optional(SegmentFilterSchema) },
  { additionalProperties: false, examples: [{ name: 'US payers', filter: { country: 'US', payer: true } }] },
);

/** Segments and personas for the operator, under /admin/v1/dashboards/:id. */
export function adminPersonaRoutes(
  segments: SegmentService,
  personas: PersonaService,
  traitImport: TraitImportService,
  adminToken: string | undefined,
) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireAdmin(adminToken));

    app.post(
      '/dashboards/:id/segments',
      {
        schema: {
          ...admin,
          summary:
            'Create a segment: a name and a filter over the players (its personas are computed soon after)',
          params: DashboardParams,
          body: CreateSegment,
          response: { 201: SegmentSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const body = request.body;
        return reply.code(201).send(await segments.create(id, body.name, body.filter ?? {}));
      },
    );

    app.get(
      '/dashboards/:id/segments',
      {
        schema: {
          ...admin,
          summary: 'The segments: default first, then the custom ones',
          params: DashboardParams,
          response: { 200: Type.Array(SegmentSchema), ...errors },
        },
      },
      (request) => segments.list(request.params.id),
    );

    app.delete(
      '/dashboards/:id/segments/:sid',
      {
        schema: {
          ...admin,
          summary: 'Delete a segment with its personas',
          params: SegmentParams,
          response: { 200: Type.Object({ id: Type.String(), deleted: Type.Literal(true) }), ...errors },
        },
      },
      async (request) => {
        const { id, sid } = request.params;
        await segments.delete(id, sid);
        return { id: sid, deleted: true as const };
      },
    );

    app.get(
      '/dashboards/:id/players/:user_id/traits',
      {
        schema: {
          ...admin,
          summary: "A player's trait scores (if surveyed) and persona in each segment, surveyed or predicted",
          params: PlayerParams,
          querystring: EnvironmentQuery,
          response: { 200: PlayerTraits, ...errors },
        },
      },
      async (request) => {
        const { id, user_id } = request.params;
        const { environment } = request.query;
        return personas.playerTraits(id, environment ?? 'production', user_id);
      },
    );

    app.post(
      '/dashboards/:id/trait-scores',
      {
        schema: {
          ...admin,
          summary:
            'Import trait scores measured elsewhere (all or nothing); a completed survey takes precedence',
          params: DashboardParams,
          querystring: ImportQuery,
          body: ImportBody,
          response: {
            201: Type.Object({
              imported: Type.Integer({ description: 'Players whose imported scores are stored' }),
              kept_survey: Type.Integer({
                description: 'Players left with their completed survey’s scores (not replaced)',
              }),
            }),
            ...errors,
            413: ErrorEnvelopeSchema,
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const { environment } = request.query;
        const { players } = request.body;
        return reply.code(201).send(await traitImport.import(id, environment, players));
      },
    );

    app.post(
      '/dashboards/:id/personas/recompute',
      {
        schema: {
          ...admin,
          summary: 'Recompute the personas of every segment now (one environment, or both)',
          params: DashboardParams,
          querystring: EnvironmentQuery,
          response: { 200: RecomputeAnswer, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { environment } = request.query;
        return personas.recompute(id, environment);
      },
    );
  };
}
