import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { count, emptyState, table, when } from '../components.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { requireOperator, sendPage, type DashboardDeps } from '../request.js';
import { Text } from '../schemas.js';

/** Quests per Forge game: definitions, how many players completed each, the latest rewards. */
export function registerQuestsPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const quests = deps.services.quests;

  app.get(
    '/forge/quests',
    { schema: { querystring: Type.Object({ game: Text }) } },
    async (request, reply) => {
      const viewer = requireOperator(request);
      const games = await quests.games();
      const asked = request.query.game;
      const game = asked !== undefined && asked.length > 0 ? asked : games[0]?.game_id;
      const [definitions, completed, rewards] =
        game === undefined
          ? [[], {} as Record<string, number>, []]
          : await Promise.all([
              quests.list(game),
              quests.completionCounts(game),
              quests.recentRewards(game, 20),
            ]);

      const picker =
        games.length === 0
          ? ''
          : html`<form method="get" action="/dashboard/forge/quests" class="row card">
              <div>
                <label for="game">Game</label>
                <select id="game" name="game">
                  ${games.map(
                    (g) =>
                      html`<option value="${g.game_id}" ${g.game_id === game ? html` selected` : ''}>
                        ${g.game_id} (${g.quests})
                      </option>`,
                  )}
                </select>
              </div>
              <button type="submit" class="secondary">Show</button>
            </form>`;

      const body =
        game === undefined
          ? emptyState(
              'No quests yet.',
              html`<p>
                Create one with <code>POST /admin/v1/games/&lt;game_id&gt;/quests</code> or
                <code>traitforge quest create</code> (see docs/forge.md). Players’ progress and rewards then
                show here.
              </p>`,
            )
          : html`<section class="card" aria-labelledby="defs-title">
                <h2 id="defs-title">Quests of ${game}</h2>
                ${definitions.length === 0
                  ? html`<p>This game has no quests.</p>`
                  : table(
                      'Definitions and completions',
                      [
                        'Type',
                        ['Target', 'num'],
                        'Achievement',
                        'Window (UTC)',
                        'Reward',
                        ['Completed by', 'num'],
                      ],
                      definitions.map(
                        (q) =>
                          html`<tr>
                            <td>${q.type}</td>
                            <td class="num">${q.target}</td>
                            <td>${q.achievement_title ?? '—'}</td>
                            <td>${q.starts_at} → ${q.ends_at}</td>
                            <td>${q.reward.amount} ${q.reward.kind}</td>
                            <td class="num">${count(completed[q.id] ?? 0)}</td>
                          </tr>`,
                      ),
                    )}
              </section>
              <section class="card" aria-labelledby="rewards-title">
                <h2 id="rewards-title">Recent rewards</h2>
                ${rewards.length === 0
                  ? html`<p>No rewards granted yet: they appear when a player completes a quest.</p>`
                  : table(
                      'The 20 latest rewards',
                      ['Granted', 'Player', 'Quest', 'Reward'],
                      rewards.map(
                        (r) =>
                          html`<tr>
                            <td>${when(r.granted_at)}</td>
                            <td class="mono">${r.player_id}</td>
                            <td class="mono">${r.quest_id}</td>
                            <td>${r.amount} ${r.kind}</td>
                          </tr>`,
                      ),
                    )}
              </section>`;

      return sendPage(
        reply,
        page({ title: 'Quests', viewer, assets: deps.assets, section: 'quests' }, html`${picker}${body}`),
      );
    },
  );
}
