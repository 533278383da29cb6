import { sql, type Kysely } from 'kysely';
import type { Migration } from './dialect.js';

/**
 * Operator sessions stored the admin token as an unsalted SHA-256, which a database dump can
 * test guesses against; they now store a keyed hash (HMAC under the server key). The old rows
 * would no longer match anyway: they are deleted, and with them the old hashes. Operators
 * sign in again; members' sessions are untouched.
 */
export const hardening: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`delete from dashboard_sessions where member_id is null`.execute(db);
  },
};
