import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ADMIN_TOKEN } from '../support/test-app.js';

/** A browser stand-in over `app.inject`: keeps the session cookie, reads the page's CSRF token. */
export class DashboardClient {
  session: string | undefined;
  csrf: string | undefined;
  /** `remoteAddress`: the client address the server sees (sign-in throttling counts per address). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly remoteAddress?: string,
  ) {}

  private get from(): { remoteAddress?: string } {
    return this.remoteAddress === undefined ? {} : { remoteAddress: this.remoteAddress };
  }

  private cookieHeader(extra: string[] = []): Record<string, string> {
    const cookies = [...(this.session ? [`tf_session=${this.session}`] : []), ...extra];
    return cookies.length > 0 ? { cookie: cookies.join('; ') } : {};
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'GET',
      url,
      headers: { ...this.cookieHeader(), ...headers },
    });
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
    return res;
  }

  /** A form POST; the session's CSRF token is added unless `csrf` is given (null: none). */
  post(url: string, fields: Record<string, string>, csrf?: string | null): Promise<LightMyRequestResponse> {
    const token = csrf === undefined ? this.csrf : csrf;
    const form = new URLSearchParams({
      ...fields,
      ...(token === null || token === undefined ? {} : { _csrf: token }),
    });
    return this.app.inject({
      method: 'POST',
      url,
      headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
  }

  /** Loads the sign-in form (for its login token) and posts it. */
  async signIn(fields: Record<string, string>, next?: string): Promise<LightMyRequestResponse> {
    const form = await this.app.inject({ method: 'GET', url: '/dashboard/sign-in', ...this.from });
    const login = /tf_login=([^;]+)/.exec(String(form.headers['set-cookie']))![1]!;
    const res = await this.app.inject({
      ...this.from,
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { cookie: `tf_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _login: login, ...(next ? { next } : {}), ...fields }).toString(),
    });
    const session = /tf_session=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1];
    if (session) this.session = session;
    return res;
  }

  async signInOperator(): Promise<void> {
    const res = await this.signIn({ mode: 'operator', token: ADMIN_TOKEN });
    if (res.statusCode !== 303) throw new Error(`operator sign-in failed: ${res.statusCode}`);
    await this.get('/dashboard/dashboards');
  }
}
