import { Type, type TUnsafe } from '@sinclair/typebox';

/**
 * A string from a fixed list, as JSON Schema `enum`: validation errors then name the allowed
 * values ("must be one of production, sandbox") instead of an anyOf of constants.
 */
export function StringEnum<T extends string>(
  values: readonly T[],
  options: { description?: string } = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/**
 * OpenAPI `security: []`: the operation takes no credential, said explicitly so that the
 * document's test can tell a public route from one whose security was forgotten.
 */
export const PUBLIC: { [scheme: string]: string[] }[] = [];
