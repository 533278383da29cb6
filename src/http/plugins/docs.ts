import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI from the routes' own schemas, at /openapi.json, and an interactive page at /docs
 * (its assets are served from the package: no external requests, no online validator).
 * Every tag and security scheme a route names must be declared here.
 */
export async function installDocs(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Traitforge API',
        version,
        description: [
          'Every API family of the server, each with its own credential (see the security schemes) and answer shape:',
          '',
          '- **12traits** (ingestion, assessment, personas, the first-version game API): the dashboard API key as a bearer token; every answer is `{code, message, data}`; JSON batches are all-or-nothing; CSV uploads answer 201 and are processed in the background (poll `GET /v1/ingestions/{id}`).',
          '- **PlayFab webhook** (`POST /v1/playfab`): the same dashboard key, in `?api_key=`, the `X-Api-Key` header or as a bearer token (PlayFab cannot send an Authorization header).',
          '- **Survey page** (`/survey`): HTML for players; the `playerid` link token from `POST /v1/assessment/user/register` is the credential, so the operations declare no security scheme.',
          '- **Forge** (`/player/…`): the partner key in `X-API-Key`; answers and errors in Forge’s own shape (`records_processed`, `errors`).',
          '- **Admin** (`/admin/v1/…`): the operator token (`TRAITFORGE_ADMIN_TOKEN`) as a bearer token.',
          '- **Operations** (`/healthz`, `/readyz`): public probes.',
          '',
          'Not in this document, on purpose: the web dashboard under `/dashboard` (HTML pages with a session cookie and a CSRF token, not an API), `/metrics` (Prometheus text format), this document and its viewer (`/openapi.json`, `/docs`), and the browsers’ CORS preflights (`OPTIONS /v1/…`, `/player/…`: allowed origins are listed in `TRAITFORGE_CORS_ORIGINS`, see docs/security.md).',
        ].join('\n'),
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A dashboard API key (production or sandbox)',
          },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The operator token, TRAITFORGE_ADMIN_TOKEN',
          },
          playFabKey: {
            type: 'apiKey',
            in: 'query',
            name: 'api_key',
            description:
              'A dashboard API key in the webhook URL (PlayFab webhooks): the X-Api-Key header or a bearer token work too',
          },
          forgeKey: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'A Forge partner key: base64("<partner>:<game>:<game-id>:<secret>")',
          },
        },
      },
      tags: [
        { name: '12traits ingestion', description: 'JSON batch pushes, 1 to 1000 records each' },
        {
          name: '12traits assessment',
          description: 'Register players for the survey, their completion status, survey statistics',
        },
        {
          name: 'survey page',
          description: 'The HTML survey players take (the link token is the credential: no security scheme)',
        },
        {
          name: '12traits personas',
          description: 'Segments’ personas (mean traits, member ids) and deletion of a player’s data',
        },
        {
          name: '12traits insights',
          description: 'KPIs by segment and persona: daily activity and revenue, retention by install cohort',
        },
        { name: 'first version', description: 'Game-scoped pushes of the first 12traits API' },
        { name: 'forge', description: 'Forge partner API: playtime sessions and achievements' },
        { name: 'admin', description: 'Dashboards, keys and stored records (operator token)' },
        { name: 'admin: forge', description: 'Forge keys, players and quests (operator token)' },
        {
          name: 'admin: personas',
          description: 'Segments, persona recomputes and a player’s traits (operator token)',
        },
        {
          name: 'admin: insights',
          description: 'The insights figures of any dashboard, and refreshing their rollups (operator token)',
        },
        {
          name: 'admin: survey',
          description: 'Survey quality: reliability of the answers (operator token)',
        },
        { name: 'operations', description: 'Health and readiness probes' },
      ],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
