import type { Readable } from 'node:stream';

/** One object (file) in a bucket or directory. */
export interface ObjectInfo {
  /** The path from the source's root, with `/` separators, e.g. `purchases/date=2024-01-01/a.json`. */
  key: string;
  /** Changes when the content changes: the store's ETag, or size+mtime for a directory. */
  etag: string;
  size: number;
  /** When the content was last written (epoch ms), if the store says: the records' entry time. */
  modifiedAt?: number;
}

/** A place files come from: a local directory, an S3 (or S3-compatible) bucket, Azure, GCS. */
export interface ObjectSource {
  /** Every object whose key starts with `prefix` (all by default), at any depth. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  /** The object's content as a stream (read it with back-pressure). */
  open(key: string): Promise<Readable>;
  /**
   * Where the object lives, whichever channel reads it (`file:///abs/path`, `s3://bucket/key`…):
   * with its version, it names the file's dedupe channel, shared by `import` and connections.
   */
  location(key: string): string;
}

/** A source could not be reached or refused the request: "unable to connect". */
export class SourceError extends Error {
  override name = 'SourceError';
}

/** A listing failure in the words a connection test and sync report: "unable to connect: …". */
export function unableToConnect(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith('unable to connect') ? message : `unable to connect: ${message}`;
}
