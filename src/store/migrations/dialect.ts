import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

/** What a migration needs to know about its backend: named here, not tested for in each file. */
export interface MigrationDialect {
  /** The type of an auto-assigned integer primary key. */
  readonly autoIdType: 'integer' | 'bigint';
  autoId(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** The type of a column of raw bytes (uploaded files). */
  readonly blobType: 'blob' | 'bytea';
}

export const SQLITE_MIGRATION_DIALECT: MigrationDialect = {
  autoIdType: 'integer',
  // INTEGER PRIMARY KEY is SQLite's rowid alias: the fastest key to append to.
  autoId: (c) => c.primaryKey(),
  blobType: 'blob',
};

export const POSTGRES_MIGRATION_DIALECT: MigrationDialect = {
  autoIdType: 'bigint',
  autoId: (c) => c.primaryKey().generatedAlwaysAsIdentity(),
  blobType: 'bytea',
};

export interface Migration {
  up(db: Kysely<unknown>, dialect: MigrationDialect): Promise<void>;
}
