import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { PUBLIC } from '../schemas.js';

/** A readiness probe must answer in time even when the database hangs (e.g. an unreachable host). */
export const READY_TIMEOUT_MS = 3000;

const Live = Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] });
const Ready = Type.Object(
  { status: Type.Literal('ready'), backend: Type.String() },
  { examples: [{ status: 'ready', backend: 'sqlite' }] },
);
const Unready = Type.Object(
  { status: Type.Literal('unavailable'), backend: Type.String() },
  { examples: [{ status: 'unavailable', backend: 'postgres' }] },
);

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the database did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** Liveness (the process answers) and readiness (the database answers). */
export function healthRoutes(store: Store, readyTimeoutMs = READY_TIMEOUT_MS) {
  return async (app: FastifyInstance) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          security: PUBLIC,
          summary: 'Liveness: the process answers',
          response: { 200: Live },
        },
      },
      () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          security: PUBLIC,
          summary: 'Readiness: the database answers (503 while it does not, or while shutting down)',
          response: { 200: Ready, 503: Unready },
        },
      },
      async (request, reply) => {
        try {
          await withTimeout(store.ping(), readyTimeoutMs);
          return { status: 'ready' as const, backend: store.backend };
        } catch (error) {
          request.log.warn({ err: error }, 'readiness check failed');
          return reply.code(503).send({ status: 'unavailable' as const, backend: store.backend });
        }
      },
    );
  };
}
