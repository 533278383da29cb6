import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../support/test-app.js';

/** The widths pages are checked at: a laptop and a phone. */
export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

export interface Session {
  name: string;
  value: string;
  url: string;
}

/** The operator's session cookie, signed in once through the sign-in form at `base`. */
export async function operatorSession(browser: Browser, base: string): Promise<Session> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/sign-in`);
  await page.fill('#token', ADMIN_TOKEN);
  await Promise.all([page.waitForURL('**/dashboard/dashboards'), page.click('text=Sign in as operator')]);
  const cookie = (await context.cookies()).find((c) => c.name === 'tf_session')!;
  await context.close();
  return { name: cookie.name, value: cookie.value, url: base };
}

/** A fresh page of the session at the viewport (a phone: mobile, with touch); close its context after. */
export async function signedInPage(browser: Browser, session: Session, viewport: Viewport): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    ...(viewport.name === 'phone' ? { isMobile: true, hasTouch: true } : {}),
  });
  await context.addCookies([{ ...session, url: `${session.url}/dashboard` }]);
  return context.newPage();
}
