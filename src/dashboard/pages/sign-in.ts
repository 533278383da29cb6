import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ThrottledError } from '../../errors.js';
import { randomToken, secretsEqual } from '../../tenancy/secrets.js';
import { SESSION_TTL_MS } from '../dashboard-auth.service.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import {
  cookie,
  LOGIN_COOKIE,
  parseCookies,
  sendPage,
  SESSION_COOKIE,
  viewerOf,
  type DashboardDeps,
} from '../request.js';
import { Form, Text } from '../schemas.js';

const LOGIN_PATH = '/dashboard/sign-in';

/** Only a path inside the dashboard: never an open redirect to another site. */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/dashboard(\/[^/\\]|$|\?)/.test(next) ? next : '/dashboard';
}

/**
 * The sign-in form. There is no session yet, so its CSRF token is a double-submit one: a random
 * value in an HttpOnly cookie and in the form, which must match (login CSRF).
 */
function signInPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  asked: { next?: string },
  error?: string,
) {
  const token = randomToken(24);
  void reply.header('set-cookie', cookie(request, LOGIN_COOKIE, token, 3600, LOGIN_PATH));
  const next = safeNext(asked.next);
  const hidden = html`<input type="hidden" name="_login" value="${token}" /><input
      type="hidden"
      name="next"
      value="${next}"
    />`;
  const operator = deps.services.dashboardAuth.operatorSignInEnabled
    ? html`<section class="card" aria-labelledby="op-title">
        <h2 id="op-title">Operator</h2>
        <p class="muted">
          The operator sees every dashboard. Use the server's admin token
          (<code>TRAITFORGE_ADMIN_TOKEN</code>).
        </p>
        <form method="post" action="${LOGIN_PATH}">
          ${hidden}<input type="hidden" name="mode" value="operator" />
          <div class="field">
            <label for="token">Admin token</label>
            <input type="password" id="token" name="token" required autocomplete="current-password" />
          </div>
          <button type="submit">Sign in as operator</button>
        </form>
      </section>`
    : '';
  return sendPage(
    reply,
    page(
      { title: 'Sign in', viewer: null, assets: deps.assets, error },
      html`<div class="signin">
        <section class="card" aria-labelledby="member-title">
          <h2 id="member-title">Team member</h2>
          <p class="muted">Members see one dashboard. The operator creates your account.</p>
          <form method="post" action="${LOGIN_PATH}">
            ${hidden}<input type="hidden" name="mode" value="member" />
            <div class="field">
              <label for="email">E-mail</label>
              <input type="email" id="email" name="email" required autocomplete="username" />
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input type="password" id="password" name="password" required autocomplete="current-password" />
            </div>
            <button type="submit">Sign in</button>
          </form>
        </section>
        ${operator}
      </div>`,
    ),
    status,
  );
}

export function registerSignInPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const auth = deps.services.dashboardAuth;
  const config = { dashboardPublic: true };
  // `next`: where to go once signed in (the page asked for), bounded by the URL's size limit.
  const querystring = Type.Object({ next: Text });
  const body = Form({ _login: Text, mode: Text, token: Text, email: Text, password: Text, next: Text });

  app.get('/sign-in', { config, schema: { querystring } }, (request, reply) =>
    signInPage(deps, request, reply, 200, request.query),
  );

  app.post('/sign-in', { config, schema: { querystring, body } }, async (request, reply) => {
    const form = request.body;
    const asked = { next: request.query.next ?? form.next };
    const expected = parseCookies(request.headers.cookie)[LOGIN_COOKIE];
    if (!expected || !form._login || !secretsEqual(form._login, expected)) {
      return signInPage(deps, request, reply, 403, asked, 'the sign-in form expired: please try again');
    }
    let signedIn;
    try {
      signedIn =
        form.mode === 'operator'
          ? await auth.signInOperator(form.token ?? '', request.ip)
          : await auth.signInMember(form.email ?? '', form.password ?? '', request.ip);
    } catch (error) {
      if (error instanceof ThrottledError) void reply.header('retry-after', String(error.retryAfterSeconds));
      if (error instanceof AppError && error.status < 500) {
        return signInPage(deps, request, reply, error.status, asked, error.message);
      }
      throw error;
    }
    return reply
      .header('set-cookie', [
        cookie(request, SESSION_COOKIE, signedIn.sessionId, SESSION_TTL_MS / 1000, '/dashboard'),
        cookie(request, LOGIN_COOKIE, '', 0, LOGIN_PATH),
      ])
      .redirect(safeNext(form.next), 303);
  });

  app.post('/sign-out', async (request, reply) => {
    await auth.signOut(viewerOf(request));
    return reply
      .header('set-cookie', cookie(request, SESSION_COOKIE, '', 0, '/dashboard'))
      .redirect(LOGIN_PATH, 303);
  });
}
