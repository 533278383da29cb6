import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SourceError, type ObjectInfo, type ObjectSource } from './object-source.js';

export interface S3SourceOptions {
  bucket: string;
  /** Only keys under this prefix; keys are reported without it. */
  prefix?: string;
  region?: string;
  /** An S3-compatible store's URL, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`); defaults to true when an endpoint is set. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Keys per listing page (the store's default, 1000, when unset). */
  pageSize?: number;
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;
}

/** An S3 bucket (AWS or an S3-compatible endpoint) as a source. */
export class S3ObjectSource implements ObjectSource {
  private readonly client: S3Client;
  private readonly base: string;

  constructor(private readonly options: S3SourceOptions) {
    this.base = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 3,
    });
  }

  location(key: string): string {
    const store = this.options.endpoint ? `${this.options.endpoint.replace(/\/+$/, '')}/` : '';
    return `s3://${store}${this.options.bucket}/${this.base}${key}`;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.base + prefix,
            ContinuationToken: token,
            ...(this.options.pageSize ? { MaxKeys: this.options.pageSize } : {}),
          }),
        );
      } catch (error) {
        throw new SourceError(`unable to connect to s3 bucket ${this.options.bucket}: ${describe(error)}`);
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        yield {
          key: object.Key.slice(this.base.length),
          etag: (object.ETag ?? '').replace(/"/g, ''),
          size: object.Size ?? 0,
          ...(object.LastModified ? { modifiedAt: object.LastModified.getTime() } : {}),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async open(key: string): Promise<Readable> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.base + key }),
      );
      if (result.Body instanceof Readable) return result.Body;
      throw new Error('the response has no body stream');
    } catch (error) {
      throw new SourceError(
        `unable to read s3://${this.options.bucket}/${this.base}${key}: ${describe(error)}`,
      );
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
