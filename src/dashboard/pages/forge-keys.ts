import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { DEFAULT_DAILY_QUOTA, type ForgeKeyService } from '../../forge/forge-keys.service.js';
import { FORGE_PREFIX } from '../../http/routes/forge.js';
import { formatTimestamp } from '../../domain/timestamp.js';
import { copyBlock, copyField, count, curlPost, emptyState, table, when } from '../components.js';
import type { Viewer } from '../dashboard-auth.service.js';
import { html } from '../html.js';
import { csrfField, page } from '../layout.js';
import { baseUrl, requireOperator, sendPage, type DashboardDeps } from '../request.js';
import { Form, Text } from '../schemas.js';

const PATH = '/dashboard/forge/keys';
const NAME_RULE = '1 to 64 letters, digits, spaces, dots, dashes or underscores';

type CreatedForgeKey = Awaited<ReturnType<ForgeKeyService['create']>>;
/** What the operator typed, given back with the error when the key could not be made. */
type Entered = Partial<Record<'partner' | 'game' | 'game_id' | 'daily_quota', string>>;

/** A first Forge request, ready to paste: one play session of a made-up player, just now. */
function firstPlaytimeCommand(base: string, key: string): string {
  const body = JSON.stringify({
    user_email: 'player@example.com',
    last_time_played: formatTimestamp(Date.now()),
    total_hours: 1,
  });
  return curlPost(`${base}${FORGE_PREFIX}/playtime`, `X-API-Key: ${key}`, body);
}

/** A key just made: shown once, with a copy button and a first request. */
function revealed(request: FastifyRequest, key: CreatedForgeKey) {
  return html`<section class="card" aria-labelledby="new-${key.id}">
    <h2 id="new-${key.id}">New Forge key for ${key.game}</h2>
    <p><strong>Copy it now: it is shown only once.</strong> Traitforge keeps only a hash of it.</p>
    <p class="muted">
      ${key.partner} sends it as the <code>X-API-Key</code> header of <code>${FORGE_PREFIX}/…</code> requests;
      quests for game id <span class="mono">${key.game_id}</span> count them. Daily quota:
      ${count(key.daily_quota)} requests.
    </p>
    ${copyField(`secret-${key.id}`, `Forge key for ${key.game_id}`, key.key)}
    ${copyBlock(
      `curl-${key.id}`,
      'Send a first request with it',
      firstPlaytimeCommand(baseUrl(request), key.key),
    )}
  </section>`;
}

function createForm(viewer: Viewer, entered: Entered) {
  const field = (id: string, name: keyof Entered, label: string, hint: string) =>
    html`<div>
      <label for="${id}">${label}</label>
      <input
        type="text"
        id="${id}"
        name="${name}"
        required
        maxlength="64"
        autocomplete="off"
        aria-describedby="forge-key-rule"
        placeholder="${hint}"
        value="${entered[name] ?? ''}"
      />
    </div>`;
  return html`<section class="card" aria-labelledby="create-title">
    <h2 id="create-title">Create a Forge key</h2>
    <p class="muted" id="forge-key-rule">
      A Forge key speaks for one partner's game. Each name is ${NAME_RULE}; the game id is the one quests use.
    </p>
    <form method="post" action="${PATH}">
      ${csrfField(viewer)}
      <div class="row">
        ${field('partner', 'partner', 'Partner', 'pixelworks')}
        ${field('game', 'game', 'Game', 'Pixel Quest')}
        ${field('game-id', 'game_id', 'Game id', 'pixel-quest')}
        <div>
          <label for="daily-quota">Daily quota <span class="muted">(requests per UTC day)</span></label>
          <input
            type="text"
            inputmode="numeric"
            id="daily-quota"
            name="daily_quota"
            required
            pattern="[0-9]+"
            value="${entered.daily_quota ?? String(DEFAULT_DAILY_QUOTA)}"
          />
        </div>
        <button type="submit">Create Forge key</button>
      </div>
    </form>
  </section>`;
}

/**
 * Forge partner keys and today's quota use. Forge keys belong to a partner's game, not to a
 * dashboard, so this is an operator page (members never see it). `fresh`: a key made by this
 * very request, its secret shown once.
 */
async function renderForgeKeysPage(
  deps: DashboardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  state: { fresh?: CreatedForgeKey; entered?: Entered; error?: string } = {},
  status = 200,
) {
  const viewer = requireOperator(request);
  const keys = await deps.services.forgeKeys.list();
  return sendPage(
    reply.header('cache-control', 'no-store'),
    page(
      {
        title: 'Forge keys and quotas',
        viewer,
        assets: deps.assets,
        section: 'forge-keys',
        error: state.error,
      },
      html`${state.fresh ? revealed(request, state.fresh) : ''} ${createForm(viewer, state.entered ?? {})}
        <section aria-labelledby="list-title">
          <h2 id="list-title">Forge keys</h2>
          ${keys.length === 0
            ? emptyState(
                'No Forge partner key yet.',
                html`<p>
                  Create one above, with <code>traitforge forge-key create</code> or with
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
              )}
        </section>`,
    ),
    status,
  );
}

/** The form's quota: its default when left empty; anything else is the service's to judge. */
function quotaOf(text: string | undefined): number {
  return text === undefined || text.trim() === '' ? DEFAULT_DAILY_QUOTA : Number(text.trim());
}

export function registerForgeKeysPage(instance: FastifyInstance, deps: DashboardDeps): void {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const body = Form({ partner: Text, game: Text, game_id: Text, daily_quota: Text });
  app.get('/forge/keys', async (request, reply) => renderForgeKeysPage(deps, request, reply));

  // The same creation as `traitforge forge-key create` and POST /admin/v1/forge-keys.
  app.post('/forge/keys', { schema: { body } }, async (request, reply) => {
    requireOperator(request);
    const form = request.body;
    const entered: Entered = {
      partner: form.partner,
      game: form.game,
      game_id: form.game_id,
      daily_quota: form.daily_quota,
    };
    let fresh: CreatedForgeKey;
    try {
      fresh = await deps.services.forgeKeys.create(
        (form.partner ?? '').trim(),
        (form.game ?? '').trim(),
        (form.game_id ?? '').trim(),
        quotaOf(form.daily_quota),
      );
    } catch (error) {
      // A refused name or quota: the form again, as typed, with the reason.
      if (error instanceof AppError && error.status < 500) {
        return renderForgeKeysPage(deps, request, reply, { entered, error: error.message }, error.status);
      }
      throw error;
    }
    return renderForgeKeysPage(deps, request, reply, { fresh });
  });
}
