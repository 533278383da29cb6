import { SchemaTooNewError } from '../../store/migrations/index.js';
import { ClickHouseError, ClickHouseShard } from './http-client.js';
import { SqlFragment, chSql, identifier } from './literal.js';
import { CLICKHOUSE_MIGRATIONS, type ClickHouseMigration, type MigrationStep } from './schema.js';

/**
 * How long a migration's statement may run: just under the 300 s after which Node's `fetch`
 * gives up on an answer (the server would go on). Copies are chunked to stay far below it.
 */
const STATEMENT_TIMEOUT_MS = 290_000;

/**
 * Brings every shard's schema up to date: creates the database, then runs each pending
 * migration and records it in the shard's own `traitforge_migrations`. Statements are
 * idempotent and recorded after they ran, so two processes starting together, or a start that
 * died half-way, simply run them again. A shard migrated by a newer Traitforge is refused.
 * Returns the migrations applied on any shard.
 */
export async function migrateShards(
  shards: readonly ClickHouseShard[],
  migrations: readonly ClickHouseMigration[] = CLICKHOUSE_MIGRATIONS,
): Promise<string[]> {
  const applied = await Promise.all(
    shards.map((shard) => migrateShard(new ClickHouseShard(shard.address, STATEMENT_TIMEOUT_MS), migrations)),
  );
  return [...new Set(applied.flat())];
}

async function migrateShard(
  shard: ClickHouseShard,
  migrations: readonly ClickHouseMigration[],
): Promise<string[]> {
  await shard.command(chSql`CREATE DATABASE IF NOT EXISTS ${identifier(shard.address.database)}`, {
    inDatabase: false,
  });
  await shard.command(
    chSql`CREATE TABLE IF NOT EXISTS traitforge_migrations (name String, applied_at Int64)
      ENGINE = MergeTree() ORDER BY name`,
  );
  const rows = await shard.select<{ name: string }>(chSql`SELECT DISTINCT name FROM traitforge_migrations`);
  const done = new Set(rows.map((r) => r.name));
  const known = new Set(migrations.map((m) => m.name));
  const unknown = [...done].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `ClickHouse shard ${shard.name} was migrated by a newer Traitforge (unknown migrations: ${unknown.join(', ')}); upgrade this server`,
    );
  }
  const ran: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.name)) continue;
    for (const step of migration.statements) await runStep(shard, step);
    await shard.insert('traitforge_migrations', [{ name: migration.name, applied_at: Date.now() }]);
    ran.push(migration.name);
  }
  return ran;
}

/** Runs one step of a migration on a shard: a guarded statement's known error means it ran before. */
export async function runStep(shard: ClickHouseShard, step: MigrationStep): Promise<void> {
  if (step instanceof SqlFragment) await shard.command(step);
  else if ('run' in step) await step.run(shard);
  else
    await shard.command(step.statement).catch((error: unknown) => {
      if (!(error instanceof ClickHouseError && error.code === step.exists)) throw error;
    });
}
