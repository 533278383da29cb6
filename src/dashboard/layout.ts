import type { Asset } from './assets.js';
import type { Viewer } from './dashboard-auth.service.js';
import { html, type Child, type Html } from './html.js';

export type Assets = ReadonlyMap<string, Asset>;
export type TopSection = 'dashboards' | 'forge-keys' | 'quests';

/** A dashboard's pages, in navigation order (Members is the operator's only). */
export const DASHBOARD_TABS = [
  { tab: 'ingestion', label: 'Ingestion', operatorOnly: false },
  { tab: 'keys', label: 'Keys', operatorOnly: false },
  { tab: 'files', label: 'Files', operatorOnly: false },
  { tab: 'survey', label: 'Survey', operatorOnly: false },
  { tab: 'personas', label: 'Personas', operatorOnly: false },
  { tab: 'insights', label: 'Insights', operatorOnly: false },
  { tab: 'members', label: 'Members', operatorOnly: true },
] as const;
export type DashboardTab = (typeof DASHBOARD_TABS)[number]['tab'];

export interface Shell {
  title: string;
  viewer: Viewer | null;
  assets: Assets;
  section?: TopSection;
  dashboard?: { id: string; name: string; tab: DashboardTab };
  /** Loads Chart.js (only pages with a chart pay for it). */
  chart?: boolean;
  notice?: string | undefined;
  error?: string | undefined;
}

function assetUrl(assets: Assets, name: string): string {
  return assets.get(name)?.url ?? `/dashboard/assets/${name}`;
}

export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}" />`;
}

const current = (on: boolean) => (on ? html` aria-current="page"` : '');

function topNav(shell: Shell): Child {
  const { viewer } = shell;
  if (!viewer) return '';
  const links =
    viewer.kind === 'operator'
      ? html`<li>
            <a href="/dashboard/dashboards" ${current(shell.section === 'dashboards')}>Dashboards</a>
          </li>
          <li><a href="/dashboard/forge/keys" ${current(shell.section === 'forge-keys')}>Forge keys</a></li>
          <li><a href="/dashboard/forge/quests" ${current(shell.section === 'quests')}>Quests</a></li>`
      : html`<li><a href="/dashboard/d/${viewer.dashboardId}/ingestion">My dashboard</a></li>`;
  return html`<nav aria-label="Main">
      <ul>
        ${links}
      </ul>
    </nav>
    <div class="who">
      <span>${viewer.kind === 'operator' ? 'Operator' : viewer.email}</span>
      <form class="inline" method="post" action="/dashboard/sign-out">
        ${csrfField(viewer)}<button type="submit">Sign out</button>
      </form>
    </div>`;
}

function subNav(shell: Shell): Child {
  const { dashboard, viewer } = shell;
  if (!dashboard || !viewer) return '';
  const tabs = DASHBOARD_TABS.filter((t) => !t.operatorOnly || viewer.kind === 'operator');
  return html`<nav class="sub" aria-label="${dashboard.name}">
    <ul>
      ${tabs.map(
        (t) =>
          html`<li>
            <a href="/dashboard/d/${dashboard.id}/${t.tab}" ${current(t.tab === dashboard.tab)}>${t.label}</a>
          </li>`,
      )}
    </ul>
  </nav>`;
}

/** The page shell: skip link, header and navigation, messages, then the page's own content. */
export function page(shell: Shell, content: Child): Html {
  const title = shell.dashboard ? `${shell.title} · ${shell.dashboard.name}` : shell.title;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Traitforge</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="${assetUrl(shell.assets, 'app.css')}" />
        ${shell.chart
          ? html`<script defer src="${assetUrl(shell.assets, 'chart.umd.min.js')}"></script>`
          : ''}
        <script defer src="${assetUrl(shell.assets, 'app.js')}"></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/dashboard">Traitforge</a>
          ${topNav(shell)}
        </header>
        <main id="main" tabindex="-1">
          ${shell.dashboard
            ? html`<p class="muted crumb">
                Dashboard <strong>${shell.dashboard.name}</strong>
                <span class="mono">${shell.dashboard.id}</span>
              </p>`
            : ''}
          ${subNav(shell)}
          <h1>${shell.title}</h1>
          ${shell.notice ? html`<div class="notice" role="status">${shell.notice}</div>` : ''}
          ${shell.error ? html`<div class="error" role="alert">${shell.error}</div>` : ''} ${content}
        </main>
      </body>
    </html>`;
}
