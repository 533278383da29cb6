import { AppError } from '../errors.js';
import type { StorageConnectionTable } from '../store/database.js';
import { LocalObjectSource } from './local-source.js';
import type { ObjectSource } from './object-source.js';

export const PROVIDERS = ['s3', 'gcs', 'azure', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];

interface ConnectionInput {
  provider: Provider;
  bucket?: string;
  path?: string;
  credentials?: Record<string, string>;
}

/** Refuses a connection that could never work, naming what it lacks. */
export async function checkConnectionInput(input: ConnectionInput): Promise<void> {
  const credentials = input.credentials ?? {};
  switch (input.provider) {
    case 's3':
      if (!input.bucket) throw new AppError('bad_request', 'an s3 connection needs "bucket"');
      if (input.credentials && !(credentials.access_key_id && credentials.secret_access_key)) {
        throw new AppError(
          'bad_request',
          'credentials of an s3 connection are {"access_key_id", "secret_access_key"}',
        );
      }
      return;
    case 'gcs':
      if (!input.bucket) throw new AppError('bad_request', 'a gcs connection needs "bucket"');
      if (input.credentials) {
        if (!credentials.service_account_json) {
          throw new AppError(
            'bad_request',
            'credentials of a gcs connection are {"service_account_json": "<the key file’s JSON as a string>"}',
          );
        }
        const { parseServiceAccount } = await import('./gcs-source.js');
        try {
          parseServiceAccount(credentials.service_account_json);
        } catch (error) {
          throw new AppError('bad_request', (error as Error).message);
        }
      }
      return;
    case 'azure':
      if (!credentials.sas_url && !(credentials.connection_string && input.bucket)) {
        throw new AppError(
          'bad_request',
          'an azure connection needs credentials {"sas_url"} (a container SAS URL), or {"connection_string"} and "bucket" (the container)',
        );
      }
      return;
    case 'local':
      if (!input.path) {
        throw new AppError('bad_request', 'a local connection needs "path": a directory on the server');
      }
      return;
  }
}

/** The source a connection reads, with its opened credentials. SDKs load only when used. */
export async function openConnectionSource(
  row: StorageConnectionTable,
  credentials: Record<string, string> | undefined,
): Promise<ObjectSource & { destroy?(): void }> {
  const prefix = row.prefix ? { prefix: row.prefix } : {};
  switch (row.provider as Provider) {
    case 'local':
      return new LocalObjectSource(row.path!);
    case 'azure': {
      const { AzureObjectSource } = await import('./azure-source.js');
      return new AzureObjectSource({
        ...(credentials?.sas_url ? { sasUrl: credentials.sas_url } : {}),
        ...(credentials?.connection_string ? { connectionString: credentials.connection_string } : {}),
        ...(row.bucket ? { container: row.bucket } : {}),
        ...prefix,
      });
    }
    case 'gcs': {
      const { GcsObjectSource, parseServiceAccount } = await import('./gcs-source.js');
      return new GcsObjectSource({
        bucket: row.bucket!,
        ...prefix,
        ...(row.endpoint ? { apiEndpoint: row.endpoint } : {}),
        ...(credentials?.service_account_json
          ? { credentials: parseServiceAccount(credentials.service_account_json) }
          : {}),
      });
    }
    case 's3': {
      const { S3ObjectSource } = await import('./s3-source.js');
      return new S3ObjectSource({
        bucket: row.bucket!,
        ...prefix,
        ...(row.region ? { region: row.region } : {}),
        ...(row.endpoint ? { endpoint: row.endpoint } : {}),
        ...(credentials?.access_key_id && credentials.secret_access_key
          ? {
              credentials: {
                accessKeyId: credentials.access_key_id,
                secretAccessKey: credentials.secret_access_key,
              },
            }
          : {}),
      });
    }
  }
}
