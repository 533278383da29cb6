/**
 * The Node queue store: `<queueDir>/queue.ndjson`, one operation per line. Appends are synced
 * before they resolve (a batch is sent only once its key is on disk); compaction writes a temporary
 * file, syncs it and renames it over the log, so a crash leaves the old log or the new one whole.
 * Imported only when a `queueDir` is given, so browser bundles never load `node:fs`.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueOp, QueueStore } from './queue.js';

const LOG = 'queue.ndjson';

function lines(ops: readonly QueueOp[]): string {
  return ops.map((op) => `${JSON.stringify(op)}\n`).join('');
}

export class FileQueueStore implements QueueStore {
  private handle: FileHandle | undefined;
  private readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, LOG);
  }

  async load(): Promise<QueueOp[]> {
    await mkdir(this.dir, { recursive: true });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ops: QueueOp[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        ops.push(JSON.parse(line) as QueueOp);
      } catch {
        // A line cut short by a crash mid-append: the operation never completed, so it never
        // resolved either (its records were not acknowledged to anyone as queued on disk).
      }
    }
    return ops;
  }

  async append(ops: readonly QueueOp[]): Promise<void> {
    if (ops.length === 0) return;
    this.handle ??= await open(this.path, 'a');
    await this.handle.write(lines(ops));
    await this.handle.datasync();
  }

  async replace(ops: readonly QueueOp[]): Promise<void> {
    await this.closeHandle();
    const temp = `${this.path}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.write(lines(ops));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    // The rename is durable only once the directory itself is synced.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  close(): Promise<void> {
    return this.closeHandle();
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
