export { TraitforgeClient, type ClientOptions } from './client.js';
export {
  TraitforgeApi,
  type ApiOptions,
  type CsvIngestionStarted,
  type ForgeIdentity,
  type IngestionStatus,
  type UserIdsPage,
} from './api.js';
export { TraitforgeHttpError, type DeliveryError } from './errors.js';
export type { BackoffOptions } from './backoff.js';
export { MemoryQueueStore, type QueueOp, type QueueStore } from './queue.js';
export * from './generated/records.js';
