import type { FastifyInstance } from 'fastify';
import { count, emptyState, table, when } from '../components.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { requireOperator, sendPage, type DashboardDeps } from '../request.js';

/**
 * Forge partner keys and today's quota use. Forge keys belong to a partner's game, not to a
 * dashboard, so this is an operator page.
 */
export function registerForgeKeysPage(app: FastifyInstance, deps: DashboardDeps): void {
  app.get('/forge/keys', async (request, reply) => {
    const viewer = requireOperator(request);
    const keys = await deps.services.forgeKeys.list();
    return sendPage(
      reply,
      page(
        { title: 'Forge keys and quotas', viewer, assets: deps.assets, section: 'forge-keys' },
        keys.length === 0
          ? emptyState(
              'No Forge partner key yet.',
              html`<p>
                Create one with <code>traitforge forge-key create</code> or
                <code>POST /admin/v1/forge-keys {"partner","game","game_id"}</code>; its use shows here.
              </p>`,
            )
          : table(
              'Requests counted today (UTC) against each key’s daily quota',
              [
                'Partner',
                'Game',
                'Game id',
                ['Used today', 'num'],
                ['Daily quota', 'num'],
                ['Used', 'num'],
                'Status',
              ],
              keys.map((k) => {
                const share = k.daily_quota > 0 ? Math.min(100, (k.used_today / k.daily_quota) * 100) : 0;
                return html`<tr>
                  <td>${k.partner}</td>
                  <td>${k.game}</td>
                  <td>
                    <a href="/dashboard/forge/quests?game=${encodeURIComponent(k.game_id)}">${k.game_id}</a>
                  </td>
                  <td class="num">${count(k.used_today)}</td>
                  <td class="num">${count(k.daily_quota)}</td>
                  <td class="num">
                    <meter min="0" max="100" value="${share.toFixed(1)}" aria-label="quota used">
                      ${share.toFixed(1)}%
                    </meter>
                    ${share.toFixed(1)}%
                  </td>
                  <td>
                    ${k.revoked_at === null
                      ? html`<span class="badge ok">active</span>`
                      : html`<span class="badge bad"
                          >revoked ${when(k.revoked_at.slice(0, 19).replace('T', ' '))}</span
                        >`}
                  </td>
                </tr>`;
              }),
            ),
      ),
    );
  });
}
