import { sql, type Kysely } from 'kysely';
import type { Migration, MigrationDialect } from './dialect.js';
import { foundation } from './0001-foundation.js';
import { forge } from './0002-forge.js';
import { channels } from './0003-channels.js';
import { files } from './0004-files.js';
import { sources } from './0005-sources.js';
import { traits } from './0006-traits.js';
import { dashboard } from './0010-dashboard.js';
import { personas } from './0009-personas.js';
import { survey } from './0008-survey.js';
import { sync } from './0007-sync.js';
import { hardening } from './0011-hardening.js';
import { surveyQuality } from './0016-survey-quality.js';
import { deletion } from './0012-deletion.js';
import { webhooks } from './0013-webhooks.js';
import { importedScores } from './0015-imported-scores.js';
import { personaProbabilities } from './0014-persona-probabilities.js';
import { insights } from './0018-insights.js';
import { eventDeletions } from './0019-event-deletions.js';
import { writeIntents } from './0020-write-intents.js';
import { insightFigures } from './0021-insight-figures.js';
import { runStamps } from './0022-run-stamps.js';

/** Every migration, in order. Names are permanent: add new ones at the end. */
export const MIGRATIONS: readonly (readonly [string, Migration])[] = [
  ['0001-foundation', foundation],
  ['0002-forge', forge],
  ['0003-channels', channels],
  ['0004-files', files],
  ['0005-sources', sources],
  ['0006-traits', traits],
  ['0007-sync', sync],
  ['0008-survey', survey],
  ['0009-personas', personas],
  ['0010-dashboard', dashboard],
  ['0011-hardening', hardening],
  ['0012-deletion', deletion],
  ['0013-webhooks', webhooks],
  ['0014-persona-probabilities', personaProbabilities],
  ['0015-imported-scores', importedScores],
  ['0016-survey-quality', surveyQuality],
  ['0018-insights', insights],
  ['0019-event-deletions', eventDeletions],
  ['0020-write-intents', writeIntents],
  ['0021-insight-figures', insightFigures],
  ['0022-run-stamps', runStamps],
];

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

/**
 * Applies pending migrations, each in its own transaction, and refuses a database that a
 * newer Traitforge has migrated (it would not understand the data). Returns the names applied.
 */
export async function migrate(db: Kysely<unknown>, dialect: MigrationDialect): Promise<string[]> {
  await sql`create table if not exists traitforge_migrations (name text primary key, applied_at bigint not null)`.execute(
    db,
  );
  const rows = await sql<{ name: string }>`select name from traitforge_migrations`.execute(db);
  const applied = new Set(rows.rows.map((r) => r.name));
  const known = new Set(MIGRATIONS.map(([name]) => name));
  const unknown = [...applied].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database was migrated by a newer Traitforge (unknown migrations: ${unknown.join(', ')}); upgrade this server`,
    );
  }
  const done: string[] = [];
  for (const [name, migration] of MIGRATIONS) {
    if (applied.has(name)) continue;
    const ran = await db.transaction().execute(async (trx) => {
      // Two processes starting together (servers, a CLI): the first to record the migration
      // runs it; the other waits on the write lock, records nothing and skips it.
      const claimed =
        await sql`insert into traitforge_migrations (name, applied_at) values (${name}, ${Date.now()})
        on conflict (name) do nothing`.execute(trx);
      if (!claimed.numAffectedRows) return false;
      await migration.up(trx, dialect);
      return true;
    });
    if (ran) done.push(name);
  }
  return done;
}
