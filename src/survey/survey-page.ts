import { isSkippable, LIKERT_LABELS, PREFER_NOT_LABEL, PREFER_NOT_TO_ANSWER } from './item-bank.js';
import type { SurveyView } from './survey.service.js';

/**
 * The survey's HTML, rendered on the server: no script, no external asset, one inline style
 * sheet. Every value that reaches the page goes through `escapeHtml`.
 */

export function escapeHtml(value: string | number): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The form field of the first page's consent box, and the hidden field that marks that form. */
export const CONSENT_FIELD = 'consent';
export const CONSENT_FORM_FIELD = 'consent_form';

/** The form field that carries an entry's answer. */
export function answerField(entryId: string): string {
  return `a_${entryId}`;
}

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
.card{background:#fff;border-radius:.5rem;padding:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.progress{margin:0 0 1rem}
.progress p{margin:0 0 .25rem;font-size:.9rem;color:#4a5360}
progress{width:100%;height:.75rem;accent-color:#2b59c3}
fieldset{border:1px solid #d5d9e0;border-radius:.5rem;margin:0 0 1rem;padding:.75rem;background:#fff}
fieldset[aria-invalid=true]{border-color:#b3261e;border-width:2px}
legend{font-weight:600;padding:0 .25rem}
.options{display:grid;gap:.25rem;margin-top:.5rem}
.options label{display:flex;align-items:center;gap:.6rem;padding:.6rem .5rem;border-radius:.375rem;cursor:pointer;min-height:2.75rem}
.options label:hover{background:#eef2fb}
input[type=radio]{width:1.25rem;height:1.25rem;margin:0;accent-color:#2b59c3;flex:none}
input[type=radio]:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.options label:has(input:checked){background:#e3eafb}
.warning{border:2px solid #b26a00;border-radius:.5rem;padding:.75rem;margin:0 0 1rem;background:#fff8e6}
.consent{display:flex;gap:.6rem;align-items:flex-start;margin:1rem 0}
.consent input{width:1.25rem;height:1.25rem;margin:.15rem 0 0;flex:none;accent-color:#2b59c3}
.options label.skip{font-style:italic;color:#4a5360}
.error{color:#b3261e;font-weight:600;margin:.25rem 0 0}
.summary{border:2px solid #b3261e;border-radius:.5rem;padding:.75rem;margin:0 0 1rem;background:#fff}
button{font:inherit;font-weight:600;color:#fff;background:#2b59c3;border:0;border-radius:.5rem;padding:.8rem 1.5rem;width:100%;cursor:pointer}
button:hover{background:#224a9f}
button:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
@media (min-width:40rem){
  .options{grid-template-columns:repeat(5,1fr);text-align:center}
  .options:has(.skip){grid-template-columns:repeat(6,1fr)}
  .options label{flex-direction:column;justify-content:flex-start;gap:.35rem;font-size:.85rem}
  button{width:auto}
}`;

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function message(title: string, paragraphs: readonly string[]): string {
  return document(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<div class="card">${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</div>`,
  );
}

export interface RenderedPage {
  status: number;
  html: string;
}

/** The HTML and HTTP status for what a link shows. `action` is the form's target (path and query). */
export function renderSurvey(view: SurveyView, action: string): RenderedPage {
  switch (view.kind) {
    case 'invalid':
      return {
        status: 404,
        html: message('This survey link is not valid', [
          'We could not find a survey for this link. Please check that you copied the whole link, or open the survey again from the game.',
        ]),
      };
    case 'expired':
      return {
        status: 410,
        html: message('This survey link has expired', [
          'Survey links only work for a limited time. Please ask the game for a new link: your answers so far are kept.',
        ]),
      };
    case 'completed':
      return {
        status: 200,
        html: message('Thank you!', [
          'You have completed the survey. Your answers have been saved.',
          'You can close this page and return to the game.',
        ]),
      };
    case 'disqualified':
      return {
        status: 200,
        html: message('Thank you for your time', [
          'Unfortunately we cannot use your answers: some of them suggest the statements were not read carefully (an attention check was missed, or several signs together: pages answered very quickly, the same answer many times in a row, answers that contradict each other).',
          'You can close this page and return to the game.',
        ]),
      };
    case 'intro':
      return { status: view.consentMissing ? 400 : 200, html: renderIntro(view, action) };
    case 'page':
      return { status: view.missing.length > 0 ? 400 : 200, html: renderQuestions(view, action) };
  }
}

/** The first page: whose survey it is, what for, how long it takes, what is kept, and consent. */
function renderIntro(view: Extract<SurveyView, { kind: 'intro' }>, action: string): string {
  const game = escapeHtml(view.gameName);
  const error = view.consentMissing
    ? `<div class="summary" role="alert"><p class="error" id="consent-error">Please tick the box to agree before you start, or close this page if you would rather not take part.</p></div>`
    : '';
  const body = `<h1>${game}: player survey</h1>
${error}
<div class="card">
<p><strong>Why:</strong> ${game} asks its players how they like to play and what drives them, so that the game can suit different kinds of players. There are no right or wrong answers: answer for how you usually are.</p>
<p><strong>How long:</strong> ${view.statements} short statements on ${view.pages} pages, about ${view.minutes} minutes. Your answers are saved after every page: you can stop and come back later with the same link.</p>
<p><strong>Your answers:</strong> they are stored with your player id for ${game}, used to work out trait scores and groups of players, and deleted when the game deletes your data. A few statements ask about health and mood: you can answer "${PREFER_NOT_LABEL}" to those.</p>
<p><strong>Taking part is voluntary.</strong> You can stop at any time; a few statements check that you are reading carefully.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="${CONSENT_FORM_FIELD}" value="1">
<label class="consent"><input type="checkbox" name="${CONSENT_FIELD}" value="yes" required${view.consentMissing ? ' aria-invalid="true" aria-describedby="consent-error"' : ''}><span>I have read this and agree to take part.</span></label>
<button type="submit">Start the survey</button>
</form>
</div>`;
  return document(`${view.gameName}: player survey`, body);
}

function renderQuestions(view: Extract<SurveyView, { kind: 'page' }>, action: string): string {
  const missing = new Set(view.missing);
  const last = view.page === view.pageCount - 1;
  const intro =
    view.page === 0
      ? `<p>How much do you agree with each statement? There are no right or wrong answers: answer for how you usually are. Your answers are saved after every page, so you can stop and come back later with the same link.</p>`
      : '';
  const warning = view.warnRushed
    ? `<div class="warning" role="status" id="rushed-warning"><p><strong>That page went very fast.</strong> Please take the time to read each statement: answers given too quickly cannot be used.</p></div>`
    : '';
  const summary =
    missing.size > 0
      ? `<div class="summary" role="alert" id="summary"><p class="error">Please answer every statement on this page (${missing.size} left):</p><ul>${view.entries
          .filter((e) => missing.has(e.id))
          .map((e) => `<li><a href="#q-${escapeHtml(e.id)}">${escapeHtml(e.text)}</a></li>`)
          .join('')}</ul></div>`
      : '';
  const fieldsets = view.entries
    .map((entry, i) => {
      const field = answerField(entry.id);
      const chosen = view.answers.get(entry.id);
      const invalid = missing.has(entry.id);
      const choices: [number, string][] = LIKERT_LABELS.map((label, k) => [k + 1, label]);
      // Health and mood statements: the player may keep the answer to themselves.
      if (entry.kind === 'item' && isSkippable(entry.id))
        choices.push([PREFER_NOT_TO_ANSWER, PREFER_NOT_LABEL]);
      const options = choices
        .map(([value, label]) => {
          const checked = chosen === value ? ' checked' : '';
          const skip = value === PREFER_NOT_TO_ANSWER ? ' class="skip"' : '';
          return `<label${skip}><input type="radio" name="${escapeHtml(field)}" value="${value}" required${checked}><span>${escapeHtml(label)}</span></label>`;
        })
        .join('');
      const error = invalid
        ? `<p class="error" id="err-${escapeHtml(entry.id)}">Please choose an answer.</p>`
        : '';
      const describedBy = invalid
        ? ` aria-invalid="true" aria-describedby="err-${escapeHtml(entry.id)}"`
        : '';
      return `<fieldset id="q-${escapeHtml(entry.id)}"${describedBy}><legend>${i + 1}. ${escapeHtml(entry.text)}</legend>${error}<div class="options">${options}</div></fieldset>`;
    })
    .join('\n');
  const body = `<h1>Player survey</h1>
${intro}
${warning}
<div class="progress"><p id="progress-label">Page ${view.page + 1} of ${view.pageCount}</p><progress aria-labelledby="progress-label" max="${view.pageCount}" value="${view.page}">${Math.round((100 * view.page) / view.pageCount)}%</progress></div>
${summary}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="page" value="${view.page}">
<input type="hidden" name="nonce" value="${escapeHtml(view.nonce)}">
${fieldsets}
<button type="submit">${last ? 'Finish' : 'Next page'}</button>
</form>`;
  return document(`Player survey: page ${view.page + 1} of ${view.pageCount}`, body);
}
