import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

/** Marks a body schema as documentation only: the ingest service validates every record itself. */
export const VALIDATED_BY_SERVICE = 'x-validated-by-service';

/**
 * Route validation: query strings and params are coerced (they arrive as text); bodies are
 * not; ingest bodies are left to the ingest service, which lists every invalid record.
 */
export function installValidation(app: FastifyInstance): void {
  const strict = { allErrors: false, strict: false, useDefaults: true, removeAdditional: false } as const;
  const bodies = new Ajv({ ...strict, coerceTypes: false });
  const params = new Ajv({ ...strict, coerceTypes: 'array' });
  for (const ajv of [bodies, params])
    ajv.addKeyword({ keyword: VALIDATED_BY_SERVICE, schemaType: 'boolean' });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if ((schema as Record<string, unknown>)[VALIDATED_BY_SERVICE]) return () => true;
    return (httpPart === 'body' ? bodies : params).compile(schema);
  });
}
