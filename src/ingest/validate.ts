import type { TObject, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { FieldError } from '../errors.js';
import { EXPECTED } from '../domain/records.js';
import { TIMESTAMP_HINT } from '../domain/timestamp.js';

const checks = new WeakMap<TObject, TypeCheck<TObject>>();

function compiled(schema: TObject): TypeCheck<TObject> {
  let check = checks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checks.set(schema, check);
  }
  return check;
}

/** "/action_params/0/key" → "action_params[0].key"; "" → null (the record itself). */
function fieldName(path: string): string | null {
  if (path === '') return null;
  return path
    .slice(1)
    .split('/')
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function describe(error: ValueError): string {
  const schema: TSchema = error.schema;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Union: {
      const options = (schema.anyOf ?? []) as TSchema[];
      if (options.some((s) => s.const !== undefined)) {
        return `must be one of ${options.map((s) => JSON.stringify(s.const)).join(', ')}`;
      }
      return TIMESTAMP_HINT;
    }
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Integer:
      return 'must be an integer';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.Array:
      return 'must be an array';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return typeof schema[EXPECTED] === 'string' ? `must be ${schema[EXPECTED]}` : 'has an invalid format';
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(schema.maxItems)} entries`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${String(schema.minimum)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${String(schema.maximum)}`;
    case ValueErrorType.ObjectAdditionalProperties:
      return 'has an unknown field';
    default:
      return error.message;
  }
}

/**
 * Checks every record against its schema and lists every invalid record, one error per
 * offending field, each with the record's 0-based index.
 */
export function schemaErrors(schema: TObject, records: readonly unknown[]): FieldError[] {
  const check = compiled(schema);
  const errors: FieldError[] = [];
  records.forEach((record, index) => {
    if (check.Check(record)) return;
    const seen = new Set<string | null>();
    for (const error of check.Errors(record)) {
      const field = fieldName(error.path);
      // A failed union or property reports again for its parent path: keep the first, deepest word.
      const isParentOfSeen = [...seen].some(
        (f) => f !== null && field !== null && (f.startsWith(`${field}[`) || f.startsWith(`${field}.`)),
      );
      if (seen.has(field) || isParentOfSeen) continue;
      seen.add(field);
      errors.push({ index, field, message: describe(error) });
    }
  });
  return errors;
}

/**
 * Many JSON serializers write an absent optional field as `null`: such a field counts as not
 * sent. Only the schema's own optional fields; nulls in required and unknown fields stay.
 */
export function withoutNullOptionals(schema: TObject, records: readonly unknown[]): unknown[] {
  const required = new Set(schema.required ?? []);
  const optional = (key: string) => Object.hasOwn(schema.properties, key) && !required.has(key);
  return records.map((record) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return record;
    const fields = record as Record<string, unknown>;
    // The common case (no null optional field) allocates no entries.
    let nulls = false;
    for (const key of Object.keys(fields)) {
      if (fields[key] === null && optional(key)) {
        nulls = true;
        break;
      }
    }
    if (!nulls) return record;
    return Object.fromEntries(Object.entries(fields).filter(([k, v]) => !(v === null && optional(k))));
  });
}
