/**
 * The browser queue store: one IndexedDB object store of operations under auto-increment keys
 * (so they read back in the order written). Compaction clears and rewrites it in one transaction,
 * which IndexedDB commits atomically.
 *
 * The package compiles without the DOM library (it runs in Node too), so the few IndexedDB
 * members used are declared here.
 */
import type { QueueOp, QueueStore } from './queue.js';

interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbObjectStore {
  add(value: unknown): IdbRequest<unknown>;
  clear(): IdbRequest<undefined>;
  getAll(): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string, options: { autoIncrement: boolean }): IdbObjectStore;
  transaction(name: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
export interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}

const STORE = 'ops';

/** The global `indexedDB`, when this runtime has one. */
export function globalIndexedDb(): IdbFactory | undefined {
  return (globalThis as { indexedDB?: IdbFactory }).indexedDB;
}

function done(tx: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => {
      resolve();
    };
    tx.onerror = tx.onabort = () => {
      reject(tx.error instanceof Error ? tx.error : new Error('IndexedDB transaction failed'));
    };
  });
}

export class IndexedDbQueueStore implements QueueStore {
  private db: Promise<IdbDatabase> | undefined;

  constructor(
    private readonly factory: IdbFactory,
    private readonly name: string,
  ) {}

  private open(): Promise<IdbDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE))
          request.result.createObjectStore(STORE, { autoIncrement: true });
      };
      request.onsuccess = () => {
        resolve(request.result);
      };
      request.onerror = () => {
        reject(request.error instanceof Error ? request.error : new Error('cannot open IndexedDB'));
      };
    });
    return this.db;
  }

  async load(): Promise<QueueOp[]> {
    const tx = (await this.open()).transaction(STORE, 'readonly');
    const request = tx.objectStore(STORE).getAll();
    await done(tx);
    return request.result as QueueOp[];
  }

  async append(ops: readonly QueueOp[]): Promise<void> {
    const tx = (await this.open()).transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const op of ops) store.add(op);
    await done(tx);
  }

  async replace(ops: readonly QueueOp[]): Promise<void> {
    const tx = (await this.open()).transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    store.clear();
    for (const op of ops) store.add(op);
    await done(tx);
  }

  async close(): Promise<void> {
    if (this.db) (await this.db).close();
    this.db = undefined;
  }
}
