import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError } from '../../errors.js';
import { secretsEqual } from '../../tenancy/secrets.js';
import type { Principal, TenancyService } from '../../tenancy/tenancy.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The key from `Authorization: Bearer <key>`; undefined when absent. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new AppError(
      'unauthorized',
      'malformed Authorization header: send "Authorization: Bearer <API_KEY>"',
    );
  return match[1];
}

/** Resolves the caller's dashboard and environment from its 12traits API key. */
export function requireApiKey(tenancy: TenancyService): onRequestAsyncHookHandler {
  return async (request) => {
    request.principal = await tenancy.authenticate(bearerToken(request));
  };
}

/** The operator's admin token; the admin API is off when none is configured. */
export function requireAdmin(adminToken: string | undefined): onRequestAsyncHookHandler {
  return async (request) => {
    if (adminToken === undefined) {
      throw new AppError('forbidden', 'the admin API is disabled: set TRAITFORGE_ADMIN_TOKEN to enable it');
    }
    const token = bearerToken(request);
    if (token === undefined)
      throw new AppError('unauthorized', 'missing admin token: send "Authorization: Bearer <admin token>"');
    if (!secretsEqual(token, adminToken)) throw new AppError('unauthorized', 'invalid admin token');
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'missing API key');
  return request.principal;
}
