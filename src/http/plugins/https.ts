import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The require-HTTPS switch: plain-HTTP calls get a 403 that says to use HTTPS.
 * `request.protocol` honours X-Forwarded-Proto only from Fastify's configured trusted proxies.
 * Probes and metrics stay reachable over HTTP for load balancers and scrapers.
 */
export function installRequireHttps(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.protocol === 'https') return;
    if (EXEMPT.has(request.url.split('?')[0] ?? '')) return;
    throw new AppError(
      'https_required',
      `HTTPS is required: call https://${request.host}${request.url} instead`,
    );
  });
}
