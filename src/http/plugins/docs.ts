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
        description:
          '12traits-compatible ingestion (production and sandbox keys), the first-version game API, and the operator admin API. ' +
          'Every 12traits answer is `{code, message, data}`; batches are all-or-nothing.',
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
          description: 'The HTML survey players take (the link token is the credential)',
        },
        {
          name: '12traits personas',
          description: 'Segments’ personas (mean traits, member ids) and deletion of a player’s data',
        },
        { name: 'first version', description: 'Game-scoped pushes of the first 12traits API' },
        { name: 'forge', description: 'Forge partner API: playtime sessions and achievements' },
        { name: 'admin', description: 'Dashboards, keys and stored records (operator token)' },
        { name: 'admin: forge', description: 'Forge keys, players and quests (operator token)' },
        {
          name: 'admin: personas',
          description: 'Segments, persona recomputes and a player’s traits (operator token)',
        },
        { name: 'admin: survey', description: 'Survey reliability from stored answers (operator token)' },
        { name: 'operations', description: 'Health and readiness probes' },
      ],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
