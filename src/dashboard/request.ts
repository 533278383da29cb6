import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import type { DashboardSummary } from '../tenancy/tenancy.service.js';
import type { Assets } from './layout.js';
import type { Viewer } from './dashboard-auth.service.js';
import type { Html } from './html.js';

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
  interface FastifyContextConfig {
    /** Dashboard routes anyone may reach (sign-in, assets). */
    dashboardPublic?: boolean;
  }
}

/** What the page modules need: the services (the same as the API's), the assets, the config. */
export interface DashboardDeps {
  services: Services;
  assets: Assets;
  config: Config;
}

export const SESSION_COOKIE = 'tf_session';
export const LOGIN_COOKIE = 'tf_login';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name && !(name in out)) out[name] = part.slice(at + 1).trim();
  }
  return out;
}

/** HttpOnly, SameSite=Lax, Secure when the request came over HTTPS (directly or via a trusted proxy). */
export function cookie(
  request: FastifyRequest,
  name: string,
  value: string,
  maxAgeSeconds: number,
  path: string,
) {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

export function viewerOf(request: FastifyRequest): Viewer {
  if (!request.viewer) throw new AppError('unauthorized', 'sign in first');
  return request.viewer;
}

export function requireOperator(request: FastifyRequest): Viewer {
  const viewer = viewerOf(request);
  if (viewer.kind !== 'operator') throw new AppError('forbidden', 'only the operator can open this page');
  return viewer;
}

/** The dashboard when the viewer may see it; a member asking for another dashboard gets "not found". */
export async function dashboardFor(
  deps: DashboardDeps,
  request: FastifyRequest,
  id: string,
): Promise<DashboardSummary> {
  const viewer = viewerOf(request);
  if (viewer.kind === 'member' && viewer.dashboardId !== id) {
    throw new AppError('not_found', `dashboard ${id} does not exist`);
  }
  return deps.services.tenancy.getDashboard(id);
}

/** The address this server is reached at, as the browser sees it: for ready-to-paste commands. */
export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}
