import { Type, type TProperties } from '@sinclair/typebox';

/**
 * The request shapes of the dashboard's routes, for the TypeBox type provider. Pages fall back
 * rather than refuse (an unknown `env` is production, a bad segment the default one), so query
 * and form fields are optional text the page judges itself; ids naming a row are bounded here.
 */

/** A dashboard's id, or the id of one of its rows (a key, a member, a storage connection). */
export const RowId = Type.String({ minLength: 1, maxLength: 100 });

/** `/d/:id/…`: the dashboard. */
export const DashboardPageParams = Type.Object({ id: RowId });

/** `?env=`: `sandbox`, or production for anything else (the pages' environment switch). */
export const EnvQuery = Type.Object({ env: Type.Optional(Type.String()) });

/** An optional query or form field: text, bounded by the URL's or the form's size limit. */
export const Text = Type.Optional(Type.String());

/**
 * A form post (x-www-form-urlencoded, one string per field): the fields the route reads and
 * the CSRF token the dashboard's hook checks. A post without a body is an empty form.
 */
export const Form = <P extends TProperties>(fields: P) => Type.Object({ _csrf: Text, ...fields });
