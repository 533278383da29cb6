import type { Readable } from 'node:stream';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { SourceError, type ObjectInfo, type ObjectSource } from './object-source.js';

export interface AzureSourceOptions {
  /** A storage account connection string (`UseDevelopmentStorage=true` for azurite)… */
  connectionString?: string;
  /** …or a container SAS URL (`https://acct.blob.core.windows.net/container?sv=…`). */
  sasUrl?: string;
  /** The container, with a connection string (a SAS URL names its own). */
  container?: string;
  /** Only blobs under this prefix; keys are reported without it. */
  prefix?: string;
  /** Blobs per listing page (the service's default, 5000, when unset). */
  pageSize?: number;
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; statusCode?: number; code?: string };
  const status = e.statusCode ? ` (HTTP ${e.statusCode})` : '';
  return `${e.code ?? e.name ?? 'Error'}${status}: ${(e.message ?? String(error)).split('\n')[0]}`;
}

/** An Azure Blob Storage container as a source. */
export class AzureObjectSource implements ObjectSource {
  private readonly client: ContainerClient;
  private readonly base: string;
  private readonly pageSize: number | undefined;

  constructor(options: AzureSourceOptions) {
    this.pageSize = options.pageSize;
    this.base = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    if (options.sasUrl) {
      this.client = new ContainerClient(options.sasUrl);
    } else if (options.connectionString && options.container) {
      this.client = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(
        options.container,
      );
    } else {
      throw new SourceError(
        'an azure source needs a container SAS URL, or a connection string and a container',
      );
    }
  }

  /** The blob's URL without its query (a SAS token is a credential, not a location). */
  location(key: string): string {
    const url = new URL(this.client.url);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}/${this.base}${key}`;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const pages = this.client
      .listBlobsFlat({ prefix: this.base + prefix })
      .byPage(this.pageSize ? { maxPageSize: this.pageSize } : {});
    for (;;) {
      let page;
      try {
        page = await pages.next();
      } catch (error) {
        throw new SourceError(
          `unable to connect to azure container ${this.client.containerName}: ${describe(error)}`,
        );
      }
      if (page.done) return;
      for (const blob of page.value.segment.blobItems) {
        if (blob.name.endsWith('/')) continue;
        yield {
          key: blob.name.slice(this.base.length),
          etag: (blob.properties.etag ?? '').replace(/"/g, ''),
          size: blob.properties.contentLength ?? 0,
          ...(blob.properties.lastModified ? { modifiedAt: blob.properties.lastModified.getTime() } : {}),
        };
      }
    }
  }

  async open(key: string): Promise<Readable> {
    try {
      const response = await this.client.getBlobClient(this.base + key).download();
      const body = response.readableStreamBody;
      if (!body) throw new Error('the response has no body stream');
      return body as Readable;
    } catch (error) {
      throw new SourceError(`unable to read azure blob ${this.base}${key}: ${describe(error)}`);
    }
  }
}
