import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../errors.js';
import { answerField, CONSENT_FIELD, CONSENT_FORM_FIELD, renderSurvey } from '../../survey/survey-page.js';
import type { SubmitOutcome, SurveyService, SurveyView } from '../../survey/survey.service.js';
import { VALIDATED_BY_SERVICE } from '../plugins/validation.js';
import { PUBLIC } from '../schemas.js';

/** Form bodies are a page of radio answers: a few hundred bytes. */
const FORM_BODY_LIMIT = 64 * 1024;

/** No script at all; styles inline; forms post only here; never framed; the token is not leaked. */
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

function linkTo(token: string): string {
  return `/survey?playerid=${encodeURIComponent(token)}`;
}

function send(reply: FastifyReply, view: SurveyView, token: string | undefined): FastifyReply {
  const page = renderSurvey(view, linkTo(token ?? ''));
  return reply.code(page.status).headers(HTML_HEADERS).send(page.html);
}

/** Post/redirect/get: a reload shows the page again instead of sending the form twice. */
function answer(reply: FastifyReply, outcome: SubmitOutcome, token: string | undefined): FastifyReply {
  if (outcome.kind === 'redirect') {
    return reply.header('cache-control', 'no-store').redirect(linkTo(token ?? ''), 303);
  }
  return send(reply, outcome, token);
}

/** A form body's fields; the first value of a repeated field counts. */
function formFields(body: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (body === null || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') fields.set(name, value);
  }
  return fields;
}

/**
 * The survey page, `/survey?playerid=<token>`: the token is the credential (no API key). GET
 * shows the current page; each page POSTs its answers back (plain form, no script), then
 * redirects (303) to GET, which shows the next page, the thank-you page or why it ended.
 */
export function surveyPageRoutes(survey: SurveyService) {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    // In this plugin only: the rest of the API takes JSON.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    // Every answer is an HTML page (a redirect has no body); documented, not serialized.
    const html = (description: string) => Type.String({ description });
    const pages = {
      200: html('The page: the consent step, a page of statements, or the end of the survey'),
      404: html('The link is not valid'),
      410: html('The link has expired'),
    };
    const schema = (summary: string) => ({
      tags: ['survey page'],
      security: PUBLIC,
      summary,
      description: 'HTML for players. `playerid` is the token from POST /v1/assessment/user/register.',
      produces: ['text/html'],
      // Documented, not refused: a bad or missing token gets the HTML "link not valid" page.
      querystring: Type.Object({ playerid: Type.Optional(Type.String({ description: 'The link token' })) }),
    });

    app.get(
      '/survey',
      { schema: { ...schema('The survey page for a player link'), response: pages } },
      async (request, reply) => {
        const token = request.query.playerid;
        return send(reply, await survey.view(token), token);
      },
    );

    app.post(
      '/survey',
      {
        bodyLimit: FORM_BODY_LIMIT,
        schema: {
          ...schema('Save one page of answers (an HTML form post)'),
          consumes: ['application/x-www-form-urlencoded'],
          response: {
            ...pages,
            303: Type.Null({ description: 'Saved: the link (GET) shows the next page' }),
            400: html('The same page again, saying which answers are missing (or that consent is needed)'),
          },
          body: Type.Object(
            {
              page: Type.Optional(Type.String({ description: 'The page shown (0-based)' })),
              nonce: Type.Optional(Type.String({ description: "The page's form nonce" })),
              [CONSENT_FORM_FIELD]: Type.Optional(
                Type.String({ description: "Present on the first page's form (the consent step)" }),
              ),
              [CONSENT_FIELD]: Type.Optional(
                Type.String({ description: '`yes`: the player agrees to take part' }),
              ),
            },
            {
              additionalProperties: Type.String({
                description:
                  '`a_<item id>`: the answer, 1 to 5, or 0 (prefer not to answer) on health and mood statements',
              }),
              [VALIDATED_BY_SERVICE]: true,
            },
          ),
        },
      },
      async (request, reply) => {
        // A browser says where a post comes from: another site's form is never the player's.
        if (request.headers['sec-fetch-site'] === 'cross-site') {
          throw new AppError('forbidden', 'survey answers can only be sent from the survey page');
        }
        const token = request.query.playerid;
        const fields = formFields(request.body);
        if (fields.has(CONSENT_FORM_FIELD)) {
          return answer(reply, await survey.consent(token, fields.get(CONSENT_FIELD) === 'yes'), token);
        }
        const prefix = answerField('');
        const answers = new Map<string, number>();
        for (const [name, value] of fields) {
          if (name.startsWith(prefix)) answers.set(name.slice(prefix.length), Number(value));
        }
        const page = Number(fields.get('page') ?? NaN);
        return answer(
          reply,
          await survey.submit(token, { page, nonce: fields.get('nonce') ?? '', answers }),
          token,
        );
      },
    );
  };
}
