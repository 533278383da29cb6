import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientTypes } from '../../scripts/client-types.js';
import { ROOT } from '../support/server-process.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const GENERATED = join(ROOT, 'packages', 'client', 'src', 'generated', 'records.ts');

/** The generated file as the current server's OpenAPI document makes it, formatted as committed. */
async function expected(t: TestApp): Promise<string> {
  const doc: unknown = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  return formatted(generateClientTypes(doc));
}

/** Formatted as `npm run check` wants it (the repository's prettier settings). */
async function formatted(text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(GENERATED)), filepath: GENERATED });
}

describe('@traitforge/client generated types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('match what the server’s OpenAPI document generates (npm run client-types rewrites them)', async () => {
    const text = await expected(t);
    if (process.env.TRAITFORGE_UPDATE_CLIENT_TYPES === '1') writeFileSync(GENERATED, text);
    expect(readFileSync(GENERATED, 'utf8')).toBe(text);
  });

  it('would notice a field the server adds or drops', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        {
          post: {
            requestBody: {
              content: Record<
                string,
                { schema: { properties: Record<string, { items: { properties: Record<string, unknown> } }> } }
              >;
            };
          };
        }
      >;
    }>();
    const items =
      doc.paths['/v1/actions']!.post.requestBody.content['application/json']!.schema.properties.actions!
        .items;
    delete items.properties.action_name;
    const changed = await formatted(generateClientTypes(doc));
    expect(changed).not.toBe(await expected(t));
    expect(changed).not.toContain('action_name');
  });
});
