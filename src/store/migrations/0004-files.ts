import type { Kysely } from 'kysely';
import type { Migration, MigrationDialect } from './dialect.js';

type Column = [name: string, type: 'text' | 'double precision', notNull?: boolean];

/** The record types that arrive in files (frozen as of this migration). */
const FILE_EVENT_TABLES: Record<string, Column[]> = {
  kpis: [
    ['register_date', 'text'],
    ['churn_date', 'text'],
    ['kpi_id', 'text', true],
    ['value', 'double precision', true],
  ],
  survey_answers: [
    ['question_id', 'text', true],
    ['value', 'text', true],
  ],
};

/** File channels: KPI and survey-answer records, durable jobs, CSV uploads and their bytes. */
export const files: Migration = {
  async up(db: Kysely<unknown>, d: MigrationDialect) {
    for (const [table, columns] of Object.entries(FILE_EVENT_TABLES)) {
      let create = db.schema
        .createTable(table)
        .addColumn('id', d.autoIdType, (c) => d.autoId(c))
        .addColumn('dashboard_id', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('player_id', 'bigint', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull());
      for (const [name, type, notNull] of columns) {
        create = create.addColumn(name, type, (c) => (notNull ? c.notNull() : c));
      }
      await create.addColumn('extra', 'text').execute();
      await db.schema
        .createIndex(`${table}_scope_ts`)
        .on(table)
        .columns(['dashboard_id', 'environment', 'ts'])
        .execute();
      await db.schema.createIndex(`${table}_player`).on(table).columns(['player_id']).execute();
    }

    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('run_after', 'bigint', (c) => c.notNull())
      .addColumn('lease_until', 'bigint')
      .addColumn('lease_owner', 'text')
      .addColumn('checkpoint', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_after']).execute();

    await db.schema
      .createTable('ingestions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dashboard_id', 'text', (c) => c.notNull().references('dashboards.id').onDelete('cascade'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('byte_size', 'bigint', (c) => c.notNull())
      .addColumn('rows_accepted', 'bigint', (c) => c.notNull())
      .addColumn('rows_rejected', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('ingestions_dashboard')
      .on('ingestions')
      .columns(['dashboard_id', 'environment', 'created_at'])
      .execute();

    await db.schema
      .createTable('upload_chunks')
      .addColumn('ingestion_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', d.blobType, (c) => c.notNull())
      .addPrimaryKeyConstraint('upload_chunks_pk', ['ingestion_id', 'seq'])
      .execute();
  },
};
