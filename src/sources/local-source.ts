import { createReadStream, realpathSync } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SourceError, type ObjectInfo, type ObjectSource } from './object-source.js';

/** Bytes read from a file at once: fewer, larger reads than the stream default of 64 KiB. */
const READ_CHUNK_BYTES = 256 * 1024;

/** A local directory as a bucket: keys are paths relative to it; etag = size + mtime. */
export class LocalObjectSource implements ObjectSource {
  private readonly root: string;
  private realRoot: string | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file's absolute path, symbolic links resolved: one location however the folder was named. */
  location(key: string): string {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = realpathSync(this.root);
      } catch {
        return `file://${path.join(this.root, key)}`;
      }
    }
    return `file://${path.join(this.realRoot, key)}`;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    try {
      const info = await stat(this.root);
      if (!info.isDirectory()) throw new SourceError(`${this.root} is not a directory`);
    } catch (error) {
      if (error instanceof SourceError) throw error;
      throw new SourceError(`unable to read ${this.root}: ${(error as Error).message}`);
    }
    yield* this.walk('', prefix);
  }

  private async *walk(relative: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const dir = await opendir(path.join(this.root, relative));
    const entries: { name: string; directory: boolean }[] = [];
    for await (const entry of dir) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory() || entry.isFile())
        entries.push({ name: entry.name, directory: entry.isDirectory() });
    }
    // Sorted, like a bucket listing: the same order on every run.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.directory) {
        // Skip folders that cannot hold a key with the prefix.
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) yield* this.walk(key, prefix);
        continue;
      }
      if (!key.startsWith(prefix)) continue;
      const info = await stat(path.join(this.root, key));
      yield {
        key,
        etag: `${info.size}-${Math.floor(info.mtimeMs)}`,
        size: info.size,
        modifiedAt: Math.floor(info.mtimeMs),
      };
    }
  }

  open(key: string): Promise<Readable> {
    const file = path.resolve(this.root, key);
    if (file !== this.root && !file.startsWith(this.root + path.sep)) {
      return Promise.reject(new SourceError(`key ${key} is outside ${this.root}`));
    }
    return new Promise((resolve, reject) => {
      const stream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
      stream.once('open', () => {
        resolve(stream);
      });
      stream.once('error', (error) => {
        reject(new SourceError(`unable to open ${key}: ${error.message}`));
      });
    });
  }
}
