import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';

/** Liveness (the process answers) and readiness (the database answers). */
export function healthRoutes(store: Store) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, () => ({ status: 'ok' }));
    app.get(
      '/readyz',
      { schema: { tags: ['operations'], summary: 'Readiness: the database answers' } },
      async (request, reply) => {
        try {
          await store.ping();
          return { status: 'ready', backend: store.backend };
        } catch (error) {
          request.log.warn({ err: error }, 'readiness check failed');
          return reply.code(503).send({ status: 'unavailable', backend: store.backend });
        }
      },
    );
  };
}
