import { createHash, randomBytes } from 'node:crypto';
import type { WriteBatch } from '../event-store.js';

const hash = (...parts: readonly (string | number)[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * The id of each row of a batch (parallel to `rows`): deterministic whenever the batch can come
 * again, so a retried or replayed batch writes the very rows it wrote before and the replacing
 * engine (and the deduplicating reads) keep one copy.
 * - a dedupe key (PlayFab's EventId): the key alone names the event, whatever batch brings it;
 * - a once key (a file's chunk): the key and the row's place in the chunk;
 * - an idempotency key: the key, the request's hash (a different request reusing a key never
 *   collides with the first one's rows) and the row's place;
 * - none of these: a random id, as a request sent twice without a key is two requests.
 */
export function eventIds(batch: WriteBatch): string[] {
  const scope = [batch.dashboardId, batch.environment, batch.def.type] as const;
  const { dedupe, once, idempotency } = batch;
  // One draw of randomness for the batch (a call per row cost more than the rest of the write).
  const random = once || idempotency ? '' : randomBytes(16 * batch.rows.length).toString('hex');
  return batch.rows.map((_, i) => {
    const key = dedupe?.keys[i];
    if (key !== undefined && key !== null) return hash(...scope, 'dedupe', dedupe!.source, key);
    if (once) return hash(...scope, 'once', once.source, once.key, i);
    if (idempotency) return hash(...scope, 'idempotency', idempotency.key, idempotency.requestHash, i);
    return random.slice(32 * i, 32 * i + 32);
  });
}
