import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PersonaRepository,
  type PersonaMember,
  type PersonaWrite,
} from '../../src/personas/personas.repository.js';
import type { Store } from '../../src/store/store.js';
import type { TraitScores } from '../../src/survey/trait-catalogue.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';

const DASHBOARD = 'dash-members';
const SEGMENT = 'default';

/** A replace of the segment's members (no deletion raced it: the event store is never asked). */
function write(members: PersonaMember[], lastNumber = 1): PersonaWrite {
  return {
    personas: [
      { persona: 1, centroid: [50], traitMeans: {} as TraitScores, surveyed: members.length, predicted: 0 },
    ],
    members,
    summary: { lastNumber },
    lastNumber,
    startedAt: Date.now() + 60_000,
  };
}

const noPlayers = () => Promise.reject(new Error('the event store is not asked without a deletion'));

describe.each(BACKENDS)('persona membership writes (%s)', (backend) => {
  let database: TestDatabase;
  let store: Store;
  let repo: PersonaRepository;

  const stored = async () =>
    store.db
      .selectFrom('persona_members')
      .select(['user_id', 'persona', 'source', 'probabilities'])
      .where('dashboard_id', '=', DASHBOARD)
      .where('environment', '=', 'production')
      .where('segment_id', '=', SEGMENT)
      .orderBy('user_id')
      .execute();

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    store = database.openStore();
    await store.migrate();
    repo = new PersonaRepository(store);
  });

  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('stores every member as given: ids with tabs, newlines, backslashes and quotes, probabilities or null', async () => {
    const members: PersonaMember[] = [
      { userId: 'plain', persona: 1, source: 'surveyed', probabilities: '{"1":0.9,"2":0.1}' },
      { userId: 'tab\there', persona: 2, source: 'surveyed', probabilities: '{"2":1}' },
      { userId: 'line\nbreak\r\n', persona: 1, source: 'predicted', probabilities: null },
      { userId: 'back\\slash\\N', persona: 3, source: 'predicted', probabilities: null },
      { userId: '\\N', persona: 3, source: 'surveyed', probabilities: '{"3":0.5,"1":0.5}' },
      { userId: "quote\"s 'and' ünïcødé 🎮", persona: 2, source: 'surveyed', probabilities: '{"2":0.75}' },
    ];
    await repo.replace(DASHBOARD, 'production', SEGMENT, write(members), noPlayers);
    const expected = members
      .map((m) => ({
        user_id: m.userId,
        persona: m.persona,
        source: m.source,
        probabilities: m.probabilities,
      }))
      .sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
    expect(await stored()).toEqual(expected);
  });

  it('a failed replace leaves the previous members and personas, and its connection is not lost', async () => {
    const before = Array.from({ length: 3_000 }, (_, i) => ({
      userId: `old-${String(i).padStart(5, '0')}`,
      persona: 1,
      source: 'surveyed' as const,
      probabilities: '{"1":1}',
    }));
    await repo.replace(DASHBOARD, 'production', SEGMENT, write(before, 1), noPlayers);
    // A member twice breaks the primary key midway through the rows, after the delete.
    const broken = Array.from({ length: 12_000 }, (_, i) => ({
      userId: `new-${String(i % 11_000).padStart(5, '0')}`,
      persona: 2,
      source: 'predicted' as const,
      probabilities: null,
    }));
    // More failures than the pool has connections: each must go back to the pool (or be replaced).
    for (let attempt = 0; attempt < 12; attempt++)
      await expect(
        repo.replace(DASHBOARD, 'production', SEGMENT, write(broken, 2), noPlayers),
      ).rejects.toThrow();
    const rows = await stored();
    expect(rows).toHaveLength(3_000);
    expect(rows.every((r) => r.user_id.startsWith('old-'))).toBe(true);
    expect((await repo.run(DASHBOARD, 'production', SEGMENT))?.lastNumber).toBe(1);
    expect((await repo.personas(DASHBOARD, 'production', SEGMENT)).map((p) => p.surveyed)).toEqual([3_000]);
  });

  it('readers during a replace see the old members or the new ones, never a mix', async () => {
    const members = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        userId: `${prefix}-${String(i).padStart(6, '0')}`,
        persona: 1,
        source: 'surveyed' as const,
        probabilities: '{"1":1}',
      }));
    await repo.replace(DASHBOARD, 'production', SEGMENT, write(members('a', 20_000)), noPlayers);
    let done = false;
    const seen = new Set<string>();
    const replacing = repo
      .replace(DASHBOARD, 'production', SEGMENT, write(members('b', 30_000)), noPlayers)
      .finally(() => (done = true));
    while (!done) {
      const rows = await store.db
        .selectFrom('persona_members')
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('user_id').as('first')])
        .where('dashboard_id', '=', DASHBOARD)
        .where('environment', '=', 'production')
        .where('segment_id', '=', SEGMENT)
        .executeTakeFirstOrThrow();
      seen.add(`${Number(rows.n)} ${rows.first}`);
    }
    await replacing;
    for (const state of seen) expect(['20000 a-000000', '30000 b-000000']).toContain(state);
    expect((await stored()).length).toBe(30_000);
  });
});
