import { describe, expect, it } from 'vitest';
import { escapeHtml, renderSurvey } from '../../src/survey/survey-page.js';

describe('survey HTML', () => {
  it('escapes every character that could open markup or end an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('renders statements, ids, nonce and action escaped; checked answers and gaps marked', () => {
    const hostile = `<script>alert("x")</script>`;
    const page = renderSurvey(
      {
        kind: 'page',
        page: 1,
        pageCount: 3,
        nonce: `"><img src=x>`,
        entries: [
          { kind: 'item', id: 'q1', text: hostile, item: { id: 'q1', text: hostile, reverse: false } },
          {
            kind: 'check',
            id: 'c1',
            text: 'Pick Agree',
            check: { id: 'c1', text: 'Pick Agree', expected: 4 },
          },
        ],
        answers: new Map([['q1', 2]]),
        missing: ['c1'],
        warnRushed: true,
      },
      `/survey?playerid=a"b`,
    );
    expect(page.status).toBe(400);
    expect(page.html).not.toContain('<script');
    expect(page.html).not.toContain('<img');
    expect(page.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page.html).toContain('action="/survey?playerid=a&quot;b"');
    expect(page.html).toContain('name="a_q1" value="2" required checked');
    expect(page.html).toContain('<fieldset id="q-c1" aria-invalid="true" aria-describedby="err-c1">');
    expect(page.html).toContain('<progress aria-labelledby="progress-label" max="3" value="1">');
    expect(page.html).toContain('Page 2 of 3');
    expect(page.html).toContain('>Next page</button>');
    expect(page.html).toContain('That page went very fast.');
    expect(page.html).not.toContain('Prefer not to answer');
  });

  it('offers "Prefer not to answer" on health and mood statements only', () => {
    const entry = (id: string) => ({
      kind: 'item' as const,
      id,
      text: id,
      item: { id, text: id, reverse: false },
    });
    const page = renderSurvey(
      {
        kind: 'page',
        page: 0,
        pageCount: 3,
        nonce: 'n',
        entries: [entry('slp2'), entry('alt1')],
        answers: new Map(),
        missing: [],
        warnRushed: false,
      },
      '/survey',
    );
    expect(page.html).toContain('name="a_slp2" value="0" required');
    expect(page.html).not.toContain('name="a_alt1" value="0"');
    expect(page.html).not.toContain('That page went very fast.');
  });

  it('renders the first page with the game name escaped, the time, and a consent box', () => {
    const page = renderSurvey(
      {
        kind: 'intro',
        gameName: '<b>Quest</b>',
        statements: 179,
        pages: 18,
        minutes: 15,
        consentMissing: false,
      },
      '/survey?playerid=x',
    );
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>&lt;b&gt;Quest&lt;/b&gt;: player survey</h1>');
    expect(page.html).toContain('179 short statements on 18 pages, about 15 minutes');
    expect(page.html).toContain('<input type="checkbox" name="consent" value="yes" required>');
    const refused = renderSurvey(
      { kind: 'intro', gameName: 'Quest', statements: 179, pages: 18, minutes: 15, consentMissing: true },
      '/survey',
    );
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('role="alert"');
  });

  it('answers 404, 410 and 200 pages for invalid, expired and finished links', () => {
    expect(renderSurvey({ kind: 'invalid' }, '/survey').status).toBe(404);
    expect(renderSurvey({ kind: 'expired' }, '/survey').status).toBe(410);
    expect(renderSurvey({ kind: 'completed' }, '/survey').html).toContain('Thank you!');
    expect(renderSurvey({ kind: 'disqualified' }, '/survey').html).toContain('Thank you for your time');
  });
});
