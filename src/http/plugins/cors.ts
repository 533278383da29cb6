import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

/**
 * CORS for the API-key families only: a game running in a browser calls `/v1/…` (12traits key)
 * and `/player/…` (Forge key) from its own origin. Both authenticate with a header (or PlayFab's
 * `?api_key=`), never a cookie, so answering another origin reveals nothing that origin could
 * not already read with the key it holds; no `Access-Control-Allow-Credentials` is ever sent.
 * The dashboard (session cookie + CSRF token) and `/admin/v1` (the operator token) stay
 * same-origin: they get no CORS header and no preflight answer whatever the setting.
 */
export const CORS_PREFIXES = ['/v1/', '/player/'] as const;

/** What the browser may send: the SDK's headers and every credential header the APIs read. */
const ALLOW_METHODS = 'GET, POST, DELETE';
const ALLOW_HEADERS = 'Authorization, Content-Type, Content-Encoding, Idempotency-Key, X-API-Key';
/** What a page may read besides the CORS-safelisted headers: the SDK reads the first two. */
const EXPOSE_HEADERS = 'Retry-After, X-Next-After, Idempotent-Replayed';
/** Two hours: Chromium's cap; a changed allow-list reaches browsers within that time. */
const MAX_AGE_SECONDS = '7200';

/** `TRAITFORGE_CORS_ORIGINS=*`: any origin (safe because no route of these families uses cookies). */
export const ANY_ORIGIN = '*';

/**
 * An allow-list entry as the browser will send it in `Origin` (`https://game.example.com`,
 * lower-case host, no default port), or undefined when the entry is not an exact origin
 * (a path, a trailing slash, a wildcard host, credentials, another scheme).
 */
export function normalizeOrigin(entry: string): string | undefined {
  if (!/^https?:\/\/[^/?#@*]+$/i.test(entry)) return undefined;
  try {
    const origin = new URL(entry).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '';
}

function inCorsFamily(path: string): boolean {
  return CORS_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * Installs the allow-list (already normalized by the config): CORS headers on every answer of
 * the API-key families to an allowed origin (errors included, so a page can read a 401 or a 429's
 * Retry-After), and `OPTIONS` preflight routes that answer 204 to an allowed origin and 403 in
 * the 12traits envelope otherwise. With an empty list the preflight routes still exist and say
 * how to turn CORS on, instead of a puzzling 404.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes(ANY_ORIGIN);
  const allowed = new Set(origins);
  const isAllowed = (origin: string): boolean => any || allowed.has(origin);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (origins.length === 0 || !inCorsFamily(pathOf(request))) return;
    // The answer depends on Origin whether or not this one is allowed: caches must keep them apart.
    void reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !isAllowed(origin)) return;
    void reply.header('access-control-allow-origin', origin);
    if (request.method !== 'OPTIONS') void reply.header('access-control-expose-headers', EXPOSE_HEADERS);
  });

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined || !isAllowed(origin)) {
      throw new AppError(
        'forbidden',
        origins.length === 0
          ? 'cross-origin calls are not enabled on this server: the operator lists allowed origins in TRAITFORGE_CORS_ORIGINS'
          : origin === undefined
            ? 'a CORS preflight needs an Origin header'
            : `the origin ${origin} is not allowed to call this API from a browser (TRAITFORGE_CORS_ORIGINS)`,
      );
    }
    return reply
      .code(204)
      .header('access-control-allow-methods', ALLOW_METHODS)
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', MAX_AGE_SECONDS)
      .send();
  };
  for (const prefix of CORS_PREFIXES) {
    // Not API operations: the browser's question before one, so out of the OpenAPI document.
    app.options(`${prefix}*`, { schema: { hide: true } }, preflight);
  }
}
