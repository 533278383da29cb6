/**
 * Writes the types of `@traitforge/client` (packages/client/src/generated/records.ts) from the
 * server's OpenAPI document, so the SDK's record and answer shapes are the server's own.
 * test/client/types-drift.test.ts runs it against the current document and fails when the
 * committed file differs; `npm run client-types` rewrites the file.
 */

type Schema = Record<string, unknown>;

/** The seven pushes the client queues: its `push(type, …)` names and the endpoints. */
const RECORDS: readonly { type: string; name: string; path: string }[] = [
  { type: 'actions', name: 'ActionRecord', path: '/v1/actions' },
  { type: 'logins', name: 'LoginRecord', path: '/v1/logins' },
  { type: 'purchases', name: 'PurchaseRecord', path: '/v1/purchases' },
  { type: 'virtual_purchases', name: 'VirtualPurchaseRecord', path: '/v1/virtual-purchases' },
  { type: 'level_ups', name: 'LevelUpRecord', path: '/v1/level-ups' },
  { type: 'items', name: 'ItemRecord', path: '/v1/items' },
  { type: 'social_dynamics', name: 'SocialDynamicsRecord', path: '/v1/social-dynamics' },
];

const JSON_BODY = ['content', 'application/json', 'schema'];
const ENVELOPE_DATA = [...JSON_BODY, 'properties', 'data'];

/** Other shapes the client's methods send or return: a name and where it sits in the document. */
const SHAPES: readonly { name: string; at: readonly string[] }[] = [
  { name: 'IngestAnswer', at: ['/v1/actions', 'post', 'responses', '201', ...JSON_BODY] },
  { name: 'PlaytimeRecord', at: ['/player/playtime', 'post', 'requestBody', ...JSON_BODY, 'anyOf', '0'] },
  {
    name: 'AchievementRecord',
    at: ['/player/achievement', 'post', 'requestBody', ...JSON_BODY, 'anyOf', '0'],
  },
  { name: 'ForgeResult', at: ['/player/playtime', 'post', 'responses', '200', ...JSON_BODY] },
  { name: 'ForgeErrorBody', at: ['/player/playtime', 'post', 'responses', '401', ...JSON_BODY] },
  { name: 'QuestProgress', at: ['/player/progress', 'get', 'responses', '200', ...JSON_BODY, 'items'] },
  {
    name: 'AssessmentRegistration',
    at: ['/v1/assessment/user/register', 'post', 'responses', '200', ...ENVELOPE_DATA],
  },
  {
    name: 'AssessmentStatus',
    at: ['/v1/assessment/user/status', 'get', 'responses', '200', ...ENVELOPE_DATA],
  },
  { name: 'AssessmentDetails', at: ['/v1/assessment', 'get', 'responses', '200', ...ENVELOPE_DATA] },
  {
    name: 'PersonaUserIds',
    at: [
      '/v1/segments/{segment_id}/personas/{persona}/user-ids',
      'get',
      'responses',
      '200',
      ...ENVELOPE_DATA,
    ],
  },
  {
    name: 'PersonaTraits',
    at: ['/v1/segments/{segment_id}/personas/{persona}/traits', 'get', 'responses', '200', ...ENVELOPE_DATA],
  },
  { name: 'UserDataDeletion', at: ['/v1/userData', 'delete', 'responses', '200', ...ENVELOPE_DATA] },
];

function dig(doc: unknown, at: readonly string[]): Schema {
  let node = doc;
  for (const [i, step] of at.entries()) {
    const next: unknown =
      i === 0
        ? ((node as { paths?: Record<string, unknown> }).paths ?? {})[step]
        : (node as Record<string, unknown> | undefined)?.[step];
    if (next === undefined || next === null)
      throw new Error(`the OpenAPI document has nothing at ${at.slice(0, i + 1).join(' › ')}`);
    node = next;
  }
  return node as Schema;
}

function comment(text: unknown, indent: string): string {
  return typeof text === 'string' ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '';
}

function wrap(type: string): string {
  return /[|&]/.test(type) ? `(${type})` : type;
}

/** A TypeScript type for a JSON Schema, as @fastify/swagger writes TypeBox schemas. */
function typeOf(schema: Schema, indent: string): string {
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as Schema[]).map((s) => typeOf(s, indent)).join(' | ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `${wrap(typeOf((schema.items as Schema | undefined) ?? {}, indent))}[]`;
    case 'object':
      return objectType(schema, indent);
    default:
      return 'unknown';
  }
}

function objectType(schema: Schema, indent: string): string {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const inner = `${indent}  `;
  const members = Object.entries(properties).map(([name, property]) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
    const optional = required.has(name) ? '' : '?';
    return `${comment(property.description, inner)}${inner}${key}${optional}: ${typeOf(property, inner)};\n`;
  });
  const extra = schema.additionalProperties;
  if (extra === true || (extra !== undefined && extra !== false))
    members.push(
      `${inner}/** Fields beyond the documented ones are kept by the server. */\n${inner}[field: string]: unknown;\n`,
    );
  if (members.length === 0) return extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${members.join('')}${indent}}`;
}

function declaration(name: string, schema: Schema): string {
  const body = typeOf(schema, '');
  const head = comment(schema.description, '');
  return body.startsWith('{')
    ? `${head}export interface ${name} ${body}\n`
    : `${head}export type ${name} = ${body};\n`;
}

/** The text of packages/client/src/generated/records.ts for this OpenAPI document. */
export function generateClientTypes(doc: unknown): string {
  const out: string[] = [
    '// Generated from the server’s OpenAPI document by scripts/client-types.ts: do not edit.\n' +
      '// `npm run client-types` rewrites it; test/client/types-drift.test.ts fails when it is stale.\n',
  ];
  const endpoints: string[] = [];
  for (const record of RECORDS) {
    const body = dig(doc, [record.path, 'post', 'requestBody', ...JSON_BODY]);
    const bodyKey = ((body.required ?? []) as string[])[0];
    if (bodyKey === undefined) throw new Error(`${record.path} names no body key`);
    const array = dig(doc, [record.path, 'post', 'requestBody', ...JSON_BODY, 'properties', bodyKey]);
    out.push(
      declaration(
        record.name,
        dig(doc, [record.path, 'post', 'requestBody', ...JSON_BODY, 'properties', bodyKey, 'items']),
      ),
    );
    endpoints.push(
      `  ${record.type}: { path: ${JSON.stringify(record.path)}, bodyKey: ${JSON.stringify(bodyKey)}, maxBatch: ${String(array.maxItems)} },\n`,
    );
  }
  for (const shape of SHAPES) out.push(declaration(shape.name, dig(doc, shape.at)));
  out.push(
    '/** Each pushed type’s endpoint, the key its array goes under, and the most records one request takes. */\n' +
      `export const RECORD_ENDPOINTS = {\n${endpoints.join('')}} as const;\n`,
    'export type RecordType = keyof typeof RECORD_ENDPOINTS;\n',
    `/** The record each type takes. */\nexport interface RecordTypes {\n${RECORDS.map((r) => `  ${r.type}: ${r.name};\n`).join('')}}\n`,
  );
  return out.join('\n');
}
