import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { DEFAULT_SEGMENT, type Segment } from '../personas/segments.service.js';
import { formatTimestamp } from '../domain/timestamp.js';
import { html, type Child, type Html } from './html.js';

/** "YYYY-MM-DD HH:MM:SS UTC", or a dash for nothing. */
export function when(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `${typeof ms === 'number' ? formatTimestamp(ms) : ms} UTC`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The production/sandbox switch: links (bookmarkable, no script needed); `keep`: more query fields. */
export function envSwitch(path: string, environment: Environment, keep: Record<string, string> = {}): Html {
  const rest = Object.keys(keep).length > 0 ? `&${new URLSearchParams(keep).toString()}` : '';
  const on = (e: Environment) => (e === environment ? html` aria-current="true"` : '');
  return html`<nav class="env-switch" aria-label="Environment">
    ${ENVIRONMENTS.map((e) => html`<a href="${path}?env=${e}${rest}" ${on(e)}>${e}</a>`)}
  </nav>`;
}

/** A segment picker's field: `default` (every player), then the dashboard's custom segments. */
export function segmentField(segments: readonly Pick<Segment, 'id' | 'name'>[], chosen: string): Html {
  return html`<div>
    <label for="segment">Segment</label>
    <select id="segment" name="segment">
      ${segments.map(
        (s) =>
          html`<option value="${s.id}" ${s.id === chosen ? html` selected` : ''}>
            ${s.id === DEFAULT_SEGMENT.id ? 'default (every player)' : s.name}
          </option>`,
      )}
    </select>
  </div>`;
}

export function environmentOf(query: { env?: string }): Environment {
  return query.env === 'sandbox' ? 'sandbox' : 'production';
}

/** A table that scrolls sideways on a phone instead of squeezing. */
export function table(caption: string, headers: readonly (string | [string, 'num'])[], rows: Child[]): Html {
  return html`<div class="table-wrap">
    <table>
      <caption class="muted">
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h) =>
            typeof h === 'string'
              ? html`<th scope="col">${h}</th>`
              : html`<th scope="col" class="num">${h[0]}</th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/** A count card: its label above the number (labels wrap, the card never overflows). */
export function statCard(label: string, value: number): Html {
  return html`<div class="stat"><span class="stat-label">${label}</span><b>${count(value)}</b></div>`;
}

/** What to do when there is nothing yet: a sentence and the next step. */
export function emptyState(title: string, body: Child): Html {
  return html`<div class="empty">
    <p><strong>${title}</strong></p>
    ${body}
  </div>`;
}

/** A read-only value with a copy button (a new key's secret, a command). */
export function copyField(id: string, label: string, value: string): Html {
  return html`<div class="field">
    <label for="${id}">${label}</label>
    <div class="secret">
      <input type="text" id="${id}" value="${value}" readonly spellcheck="false" autocomplete="off" />
      <button type="button" class="secondary" data-copy="${id}">Copy</button>
    </div>
  </div>`;
}

/** A block of text (a command) with a copy button. */
export function copyBlock(id: string, label: string, text: string): Html {
  return html`<div class="field">
    <p class="row">
      <strong>${label}</strong> <button type="button" class="secondary small" data-copy="${id}">Copy</button>
    </p>
    <pre id="${id}">${text}</pre>
  </div>`;
}

/** The first push, ready to paste: the server's own address and, when known, the key. */
export function firstPushCommand(baseUrl: string, key: string): string {
  const body = JSON.stringify({
    actions: [
      {
        timestamp: formatTimestamp(Date.now()),
        user_id: 'player-1',
        action_id: 'tutorial',
        action_name: 'tutorial_done',
      },
    ],
  });
  return curlPost(`${baseUrl}/v1/actions`, `Authorization: Bearer ${key}`, body);
}

/** A JSON POST as a shell command, one option a line (`body` holds no single quote). */
export function curlPost(url: string, authHeader: string, body: string): string {
  return `curl -X POST ${url} \\\n  -H "${authHeader}" \\\n  -H "Content-Type: application/json" \\\n  -d '${body}'`;
}
