import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

/**
 * Routes answered over plain HTTP even when HTTPS is required. Load balancers, orchestrators
 * (Kubernetes probes) and Prometheus usually reach a server directly over plain HTTP, often
 * from inside the network and not through the TLS-terminating proxy; refusing them would mark a
 * healthy server dead. They carry no tenant data and accept no credentials, so plain HTTP
 * exposes nothing.
 */
export const PLAIN_HTTP_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Whether the call reached us over HTTPS: a TLS socket, or `X-Forwarded-Proto: https` sent by a
 * trusted proxy. Fastify's `request.protocol` reads the header only when the connecting peer
 * matches `trustProxy` (TRAITFORGE_TRUSTED_PROXIES); from anyone else it is ignored.
 */
export function isHttps(request: FastifyRequest): boolean {
  return request.protocol?.trim().toLowerCase() === 'https';
}

/** The require-HTTPS switch: plain-HTTP calls get a 403 that says to use HTTPS. */
export function installRequireHttps(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (isHttps(request)) return;
    const path = request.url.split('?')[0] ?? '/';
    if (PLAIN_HTTP_ROUTES.has(request.routeOptions.url ?? path)) return;
    // The path only: a query string may carry an API key (PlayFab) and must not be echoed.
    throw new AppError(
      'https_required',
      `HTTPS is required: plain-HTTP calls are refused; call https://${request.hostname}${path} instead`,
    );
  });
}
