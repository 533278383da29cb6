import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SurveyRepository } from '../../src/survey/survey.repository.js';
import { BACKENDS } from '../support/backends.js';
import { createTestApp, type TestApp, type TestDashboard } from '../support/test-app.js';
import { insertTraitScores, surveyedPlayers } from './factory.js';

type Row = Record<string, unknown>;
const body = (players: readonly { userId: string; scores: unknown }[]) => ({
  players: players.map((p) => ({ user_id: p.userId, traits: p.scores })),
});

describe.each(BACKENDS)('trait-score import on %s', (backend) => {
  let t: TestApp;
  let dash: TestDashboard;
  const importScores = (payload: unknown, environment = 'production', dashboardId = dash.id) =>
    t.admin('POST', `/dashboards/${dashboardId}/trait-scores?environment=${environment}`, payload);
  const traitsOf = async (userId: string) =>
    (await t.admin('GET', `/dashboards/${dash.id}/players/${encodeURIComponent(userId)}/traits`)).json<Row>();

  beforeAll(async () => {
    t = await createTestApp(backend);
    dash = await t.createDashboard('Moving vendors');
  });
  afterAll(async () => {
    await t.close();
  });

  it('valid players → 201 {imported}; the scores feed a recompute like survey scores', async () => {
    const players = surveyedPlayers(3, 20, 'imp', 4);
    const res = await importScores(body(players));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ imported: 60, kept_survey: 0 });
    const recompute = await t.admin(
      'POST',
      `/dashboards/${dash.id}/personas/recompute?environment=production`,
    );
    const segment = recompute.json<{ environments: { segments: Row[] }[] }>().environments[0]!.segments[0]!;
    expect(segment).toMatchObject({ surveyed: 60, k: 3 });
    const ids = await t.call('GET', '/v1/segments/default/personas/all/user-ids', dash.keys.production);
    expect(ids.json<{ data: { ids: string[] } }>().data.ids).toHaveLength(60);
    const view = await traitsOf('imp-1-2');
    expect(view).toMatchObject({
      surveyed: false,
      scores_source: 'imported',
      completed_at: null,
      imported_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      scores: players.find((p) => p.userId === 'imp-1-2')!.scores,
    });
    expect(view.personas).toEqual([
      expect.objectContaining({ segment_id: 'default', persona: expect.any(Number) }),
    ]);
    // The sandbox is another scope: nothing there.
    expect(
      (await t.admin('GET', `/dashboards/${dash.id}/players/imp-1-2/traits?environment=sandbox`)).statusCode,
    ).toBe(404);
  });

  it('lists every invalid player (index, field, message) and imports none of them', async () => {
    const [good, ...rest] = surveyedPlayers(1, 6, 'bad', 9);
    const scores = (p: { scores: unknown }) =>
      structuredClone(p.scores) as Record<string, Record<string, unknown>>;
    const outOfRange = scores(rest[0]!);
    outOfRange.agreeableness!.Altruism = 101;
    const missing = scores(rest[1]!);
    delete missing.wellBeing!.Sleep;
    delete missing.culture;
    const unknown = scores(rest[2]!);
    unknown.hobbies = { Chess: 50 };
    unknown.openness!.Curiosity = 40;
    const text = scores(rest[3]!);
    text.personality!.Openness = '55';
    const res = await importScores({
      players: [
        { user_id: good!.userId, traits: good!.scores },
        { user_id: 'p1', traits: outOfRange },
        { user_id: 'p2', traits: missing },
        { traits: unknown },
        { user_id: 'p4', traits: text, extra: 1 },
        { user_id: 'p1', traits: good!.scores },
        'nope',
      ],
    });
    expect(res.statusCode).toBe(400);
    const answer = res.json<{ code: number; message: string; data: { errors: Row[] } }>();
    expect(answer.code).toBe(400);
    expect(answer.message).toBe('6 of 7 players are invalid; nothing was imported');
    expect(answer.data.errors).toEqual(
      expect.arrayContaining([
        { index: 1, field: 'traits.agreeableness.Altruism', message: 'must be a number from 0 to 100' },
        { index: 2, field: 'traits.wellBeing.Sleep', message: 'is required' },
        { index: 2, field: 'traits.culture', message: 'is required' },
        { index: 3, field: 'user_id', message: 'is required' },
        { index: 3, field: 'traits.hobbies', message: 'is not a category of the traits response' },
        { index: 3, field: 'traits.openness.Curiosity', message: 'is not a trait of openness' },
        { index: 4, field: 'traits.personality.Openness', message: 'must be a number from 0 to 100' },
        { index: 4, field: 'extra', message: 'is not a field of an imported player' },
        { index: 5, field: 'user_id', message: 'repeats the user id of player 1' },
        { index: 6, field: null, message: expect.stringMatching(/must be an object/) },
      ]),
    );
    expect(answer.data.errors.every((e) => e.index !== 0)).toBe(true);
    expect((await t.admin('GET', `/dashboards/${dash.id}/players/${good!.userId}/traits`)).statusCode).toBe(
      404,
    );
  });

  it('1 to 1000 players: 1001 is 413, none is 400; environment and dashboard are checked', async () => {
    const many = surveyedPlayers(1, 1001, 'many', 2);
    const tooMany = await importScores(body(many));
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toEqual({
      code: 413,
      message: '1001 players is more than 1000 per request: split the import',
      data: null,
    });
    expect((await importScores(body(many.slice(0, 1000)), 'sandbox')).json()).toEqual({
      imported: 1000,
      kept_survey: 0,
    });
    expect((await importScores({ players: [] })).statusCode).toBe(400);
    expect((await importScores(body(many.slice(0, 1)), 'staging')).statusCode).toBe(400);
    const noEnvironment = await t.admin(
      'POST',
      `/dashboards/${dash.id}/trait-scores`,
      body(many.slice(0, 1)),
    );
    expect(noEnvironment.statusCode).toBe(400);
    const unknown = await importScores(body(many.slice(0, 1)), 'production', 'dsh_nope');
    expect(unknown.statusCode).toBe(404);
  });

  it('a completed survey wins over imported scores, before or after the import', async () => {
    const [surveyedFirst, importedFirst] = surveyedPlayers(2, 1, 'order', 6);
    const [other1, other2] = surveyedPlayers(2, 1, 'elsewhere', 7);
    // Surveyed, then imported: the survey's scores stay.
    await insertTraitScores(t.store.db, dash.id, 'production', [surveyedFirst!]);
    const res = await importScores(body([{ userId: surveyedFirst!.userId, scores: other1!.scores }]));
    expect(res.json()).toEqual({ imported: 0, kept_survey: 1 });
    expect(await traitsOf(surveyedFirst!.userId)).toMatchObject({
      surveyed: true,
      scores_source: 'survey',
      scores: surveyedFirst!.scores,
    });
    // Imported, then surveyed: the survey replaces the import.
    await importScores(body([{ userId: importedFirst!.userId, scores: other2!.scores }]));
    expect(await traitsOf(importedFirst!.userId)).toMatchObject({
      scores_source: 'imported',
      scores: other2!.scores,
    });
    const completedAt = Date.UTC(2026, 2, 1);
    await new SurveyRepository(t.store.db).saveTraitScores(
      { dashboardId: dash.id, environment: 'production' },
      importedFirst!.userId,
      importedFirst!.scores,
      completedAt,
    );
    expect(await traitsOf(importedFirst!.userId)).toMatchObject({
      surveyed: true,
      scores_source: 'survey',
      completed_at: '2026-03-01 00:00:00',
      scores: importedFirst!.scores,
    });
    // A later import does not undo it.
    expect(
      (await importScores(body([{ userId: importedFirst!.userId, scores: other2!.scores }]))).json(),
    ).toEqual({
      imported: 0,
      kept_survey: 1,
    });
  });
});
