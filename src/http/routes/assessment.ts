import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { formatTimestamp } from '../../domain/timestamp.js';
import type { SurveyService } from '../../survey/survey.service.js';
import type { TenancyService } from '../../tenancy/tenancy.service.js';
import { envelope, EnvelopeSchema, ErrorEnvelopeSchema } from '../envelope.js';
import { principalOf, requireApiKey } from '../plugins/auth.js';
import { StringEnum } from '../schemas.js';

const UserId = Type.String({ minLength: 1, maxLength: 256, description: 'The player id the game uses' });

const RegisterBody = Type.Object({ id: UserId }, { examples: [{ id: '1001' }] });
const StatusQuery = Type.Object({ id: UserId });

const Registration = Type.Object({
  expires_at: Type.Integer({
    description: 'When the link stops working, epoch seconds (30 days after registering)',
  }),
  token: Type.String({ pattern: '^[0-9a-f]{40}$', description: 'Pass as `?playerid=` in the survey link' }),
  status: StringEnum(['requested', 'completed', 'disqualified'], {
    description: '"requested" unless the player already finished the survey (completed or disqualified)',
  }),
});
type Registration = Static<typeof Registration>;

const Status = Type.Object({
  completed: Type.Boolean(),
  completed_at: Type.Integer({ description: 'Epoch seconds; 0 while not completed' }),
});
type Status = Static<typeof Status>;

const Details = Type.Object({
  result_ok: Type.Boolean(),
  data: Type.Object({
    status: StringEnum(['Launched', 'Closed', 'Deleted']),
    created_on: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
    modified_on: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
    completed_at: Type.Integer(),
    type: Type.String(),
    title: Type.String(),
    internal_title: Type.String(),
    statistics: Type.Object({
      Partial: Type.Integer(),
      Disqualified: Type.Integer(),
      Complete: Type.Integer(),
    }),
  }),
});
type Details = Static<typeof Details>;

const errors = { 400: ErrorEnvelopeSchema, 401: ErrorEnvelopeSchema, 404: ErrorEnvelopeSchema };
const seconds = (ms: number) => Math.floor(ms / 1000);

/** The 12traits assessment API: register players for the survey, their status, the survey's figures. */
export function assessmentRoutes(tenancy: TenancyService, survey: SurveyService) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiKey(tenancy));
    const tags = ['12traits assessment'];
    const security = [{ apiKey: [] }];

    app.post(
      '/v1/assessment/user/register',
      {
        schema: {
          tags,
          security,
          summary: 'Register a player for the survey: a link token',
          body: RegisterBody,
          response: {
            200: EnvelopeSchema(Registration, {
              code: 200,
              message: '',
              data: {
                expires_at: 1615369460,
                token: 'df430aa33c765e5bff12aa646560fa764310317a',
                status: 'requested',
              },
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { id } = request.body;
        const registration = await survey.register(principalOf(request), id);
        const data: Registration = {
          expires_at: seconds(registration.expiresAt),
          token: registration.token,
          status: registration.status,
        };
        return envelope(200, '', data);
      },
    );

    app.get(
      '/v1/assessment/user/status',
      {
        schema: {
          tags,
          security,
          summary: 'Whether a registered player has completed the survey',
          querystring: StatusQuery,
          response: {
            200: EnvelopeSchema(Status, {
              code: 200,
              message: '',
              data: { completed: true, completed_at: 1585806949 },
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { id } = request.query;
        const status = await survey.status(principalOf(request), id);
        const data: Status = {
          completed: status.completed,
          completed_at: status.completedAt === null ? 0 : seconds(status.completedAt),
        };
        return envelope(200, '', data);
      },
    );

    app.get(
      '/v1/assessment',
      {
        schema: {
          tags,
          security,
          summary: "The survey's details and response counts for this key's dashboard and environment",
          response: {
            200: EnvelopeSchema(Details, {
              code: 200,
              message: 'survey details',
              data: {
                result_ok: true,
                data: {
                  status: 'Launched',
                  created_on: '2021-03-05 04:43:56',
                  modified_on: '2021-03-08 15:44:54',
                  completed_at: 0,
                  type: 'Standard Survey',
                  title: '12traits Survey',
                  internal_title: '12traits Survey',
                  statistics: { Partial: 2, Disqualified: 1, Complete: 7 },
                },
              },
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const details = await survey.details(principalOf(request));
        const data: Details = {
          result_ok: true,
          data: {
            status: 'Launched',
            created_on: formatTimestamp(details.createdAt),
            modified_on: formatTimestamp(details.modifiedAt),
            completed_at: 0,
            type: 'Standard Survey',
            title: '12traits Survey',
            internal_title: '12traits Survey',
            statistics: details.statistics,
          },
        };
        return envelope(200, 'survey details', data);
      },
    );
  };
}
