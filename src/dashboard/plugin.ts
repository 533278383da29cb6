import { STATUS_CODES } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import { installErrorHandler, sendJsonError, type ErrorFamily } from '../http/plugins/errors.js';
import type { Services } from '../services.js';
import { loadAssets } from './assets.js';
import { html } from './html.js';
import { page } from './layout.js';
import { registerDashboardsPage } from './pages/dashboards.js';
import { registerFilesPage } from './pages/files.js';
import { registerForgeKeysPage } from './pages/forge-keys.js';
import { registerIngestionPage } from './pages/ingestion.js';
import { registerInsightsPage } from './pages/insights.js';
import { registerKeysPage } from './pages/keys.js';
import { registerMembersPage } from './pages/members.js';
import { registerPersonasPage } from './pages/personas.js';
import { registerQuestsPage } from './pages/quests.js';
import { registerSignInPage } from './pages/sign-in.js';
import { registerSurveyPage } from './pages/survey.js';
import { parseCookies, SESSION_COOKIE, sendPage, type DashboardDeps } from './request.js';

export const DASHBOARD_PREFIX = '/dashboard';
const FORM_LIMIT = 64 * 1024;

/**
 * Content-Security-Policy: only this server's own scripts, styles and data; no inline script,
 * no framing. Chart.js draws on a canvas and sets styles through the DOM, which CSP allows.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

/** Errors as an HTML page with a way back (or `{message}` for the pages' own script calls). */
function dashboardErrors(deps: DashboardDeps): ErrorFamily {
  return {
    send: (problem, request, reply) => {
      if (wantsJson(request)) return sendJsonError(reply, problem.status, { message: problem.message });
      const title = STATUS_CODES[problem.status] ?? 'Error';
      return sendPage(
        reply,
        page(
          { title, viewer: request.viewer ?? null, assets: deps.assets, error: problem.message },
          html`<p><a href="${DASHBOARD_PREFIX}">Back to the dashboard</a></p>`,
        ),
        problem.status,
      );
    },
    notFound: (path) => `there is no page ${path}`,
  };
}

/**
 * The web dashboard under /dashboard: server-rendered pages over the same services as the API.
 * Every route but sign-in and the assets needs a session; every POST needs the session's CSRF token.
 */
export function dashboardPlugin(services: Services, config: Config) {
  return async (app: FastifyInstance) => {
    const deps: DashboardDeps = { services, assets: loadAssets(), config };
    app.decorateRequest('viewer', null);
    // Pages are not part of the HTTP API's OpenAPI document.
    app.addHook('onRoute', (route) => {
      route.schema = { ...(route.schema ?? {}), hide: true };
    });
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    app.addHook('onRequest', async (request, reply) => {
      void reply.headers(SECURITY_HEADERS);
      if (request.routeOptions.config.dashboardPublic) return;
      void reply.header('cache-control', 'no-store');
      request.viewer =
        (await services.dashboardAuth.viewer(parseCookies(request.headers.cookie)[SESSION_COOKIE])) ?? null;
      if (request.viewer) return;
      if (wantsJson(request)) return reply.code(401).send({ message: 'sign in first' });
      const path = request.url.split('?')[0] ?? '';
      const next =
        request.method === 'GET' && path.startsWith(`${DASHBOARD_PREFIX}/`)
          ? `?next=${encodeURIComponent(request.url)}`
          : '';
      return reply.redirect(`${DASHBOARD_PREFIX}/sign-in${next}`, 303);
    });

    // A post without a body is an empty form (its route's schema then says what is missing).
    // The synchronizer token: every POST of a session carries the token its pages were given,
    // checked before the route's schema so a forged post is refused as such.
    app.addHook('preValidation', async (request) => {
      if (request.method !== 'POST') return;
      request.body ??= {};
      if (request.routeOptions.config.dashboardPublic || !request.viewer) return;
      const body = request.body;
      const sent = typeof body === 'object' && body !== null && '_csrf' in body ? body._csrf : undefined;
      if (!services.dashboardAuth.csrfMatches(request.viewer, typeof sent === 'string' ? sent : undefined)) {
        throw new AppError(
          'forbidden',
          'this form has expired or did not come from this dashboard: reload the page and try again',
        );
      }
    });

    installErrorHandler(app, dashboardErrors(deps), DASHBOARD_PREFIX);

    const typed = app.withTypeProvider<TypeBoxTypeProvider>();
    const AssetParams = Type.Object({ name: Type.String({ maxLength: 100 }) });
    const publicAsset = { config: { dashboardPublic: true }, schema: { params: AssetParams } };
    typed.get('/assets/:name', publicAsset, async (request, reply) => {
      const asset = deps.assets.get(request.params.name);
      if (!asset) throw new AppError('not_found', 'no such asset');
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(asset.type)
        .send(asset.body);
    });

    app.get('/', async (request, reply) => {
      const viewer = request.viewer!;
      return reply.redirect(
        viewer.kind === 'operator'
          ? `${DASHBOARD_PREFIX}/dashboards`
          : `${DASHBOARD_PREFIX}/d/${viewer.dashboardId}/ingestion`,
        303,
      );
    });

    registerSignInPage(app, deps);
    registerDashboardsPage(app, deps);
    registerKeysPage(app, deps);
    registerIngestionPage(app, deps);
    registerFilesPage(app, deps);
    registerSurveyPage(app, deps);
    registerPersonasPage(app, deps);
    registerInsightsPage(app, deps);
    registerMembersPage(app, deps);
    registerForgeKeysPage(app, deps);
    registerQuestsPage(app, deps);
  };
}
