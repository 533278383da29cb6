import { Type } from '@sinclair/typebox';
import { ErrorEnvelopeSchema } from './envelope.js';

/** The OpenAPI tag and security of an admin route (the operator token). */
export const adminDoc = (tag: string) => ({ tags: [tag], security: [{ adminToken: [] }] });

/** The error answers every admin route can give. */
export const ADMIN_ERRORS = {
  400: ErrorEnvelopeSchema,
  401: ErrorEnvelopeSchema,
  403: ErrorEnvelopeSchema,
  404: ErrorEnvelopeSchema,
};

/** `/dashboards/:id/…` */
export const DashboardParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
