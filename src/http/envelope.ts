import { Type, type TSchema } from '@sinclair/typebox';

/** The 12traits answer shape: `{code, message, data}`, for successes and errors alike. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
}

export function envelope<T>(code: number, message: string, data: T): Envelope<T> {
  return { code, message, data };
}

export const EnvelopeSchema = (data: TSchema, example?: Envelope) =>
  Type.Object({ code: Type.Integer(), message: Type.String(), data }, example ? { examples: [example] } : {});

export const ErrorEnvelopeSchema = EnvelopeSchema(Type.Any(), {
  code: 401,
  message: 'invalid API key',
  data: null,
});
