import { ENVIRONMENTS, type Environment } from '../domain/records.js';
import { NO_DISTINCT_PERSONAS } from '../personas/clustering.js';
import { DASHBOARD_OPTION, JSON_OPTION, type CommandSpec, type OptionSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

const environmentOption = (fallback?: string): OptionSpec => ({
  type: 'string',
  choices: ENVIRONMENTS,
  ...(fallback === undefined ? {} : { default: fallback }),
  description:
    fallback === undefined
      ? 'production or sandbox (default: both)'
      : `production or sandbox (default ${fallback})`,
});
const percent = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

const personaRecompute: CommandSpec = {
  name: 'persona recompute',
  summary: "Recompute a dashboard's personas now, in every segment",
  details: [
    'Prints, per environment and segment: k, the persona sizes (surveyed + predicted) and the',
    "predictor's held-out accuracy against the majority-class baseline; then, per segment, the",
    'verdict of the mixture model: how many distinct personas, or "no distinct personas".',
    'With --json prints the same object as POST /admin/v1/dashboards/:id/personas/recompute.',
  ],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, environment: environmentOption(), json: JSON_OPTION },
  async run(args) {
    const environment = args.string('environment') as Environment | undefined;
    const result = await withContext(({ services }) =>
      services.personas.recompute(args.string('dashboard')!, environment),
    );
    if (args.flag('json')) {
      printJson(result);
      return;
    }
    const rows = result.environments.flatMap((e) =>
      e.segments.map((s) => [
        e.environment,
        s.segment_id,
        String(s.players),
        String(s.surveyed),
        String(s.k),
        s.personas.map((p) => `${p.persona}:${p.size}`).join(' ') || '-',
        percent(s.prediction?.accuracy ?? null),
        percent(s.prediction?.baseline ?? null),
      ]),
    );
    printLines([
      ...table(
        [
          ['ENVIRONMENT', 'SEGMENT', 'PLAYERS', 'SURVEYED', 'K', 'PERSONA:SIZE', 'ACCURACY', 'BASELINE'],
          ...rows,
        ],
        { right: [2, 3, 4] },
      ),
      '',
      ...result.environments.flatMap((e) =>
        e.segments.map((s) => {
          const where = `${e.environment} ${s.segment_id}:`;
          if (s.k === 0) return `${where} no personas (no surveyed player)`;
          if (!s.distinct_personas)
            return `${where} ${NO_DISTINCT_PERSONAS} (${s.evidence?.conclusion ?? `fewer than 10 surveyed players`})`;
          const check = s.evidence?.null_check;
          return `${where} ${s.k} distinct personas (BIC; null check ${check ? `${check.observed} > ${check.null_max}` : '-'}; entropy ${s.evidence?.entropy ?? '-'})`;
        }),
      ),
    ]);
  },
};

const personaPlayer: CommandSpec = {
  name: 'persona player',
  summary: "A player's trait scores (if surveyed) and persona in each segment, surveyed or predicted",
  details: ['With --json prints the same object as GET /admin/v1/dashboards/:id/players/:user_id/traits.'],
  args: [{ name: 'user_id', description: 'The user id the game sends (not a Forge ply_ id)' }],
  options: { dashboard: DASHBOARD_OPTION, environment: environmentOption('production'), json: JSON_OPTION },
  async run(args) {
    const view = await withContext(({ services }) =>
      services.personas.playerTraits(
        args.string('dashboard')!,
        args.string('environment') as Environment,
        args.positional('user_id'),
      ),
    );
    if (args.flag('json')) {
      printJson(view);
      return;
    }
    printLines([
      `Player ${clean(view.user_id)} (${view.environment}): ${view.surveyed ? `surveyed ${view.completed_at ?? ''}` : 'not surveyed'}`,
      ...table(
        [
          ['SEGMENT', 'NAME', 'PERSONA', 'SOURCE', 'PROBABILITIES'],
          ...view.personas.map((p) => [
            p.segment_id,
            clean(p.segment_name),
            String(p.persona),
            p.source,
            p.probabilities
              ? Object.entries(p.probabilities)
                  .map(([persona, probability]) => `${persona}:${probability}`)
                  .join(' ')
              : '-',
          ]),
        ],
        { indent: '  ' },
      ),
    ]);
  },
};

const userDataDelete: CommandSpec = {
  name: 'user-data delete',
  summary: "Delete every record of a player in a dashboard's environment, permanently",
  details: [
    'The same as DELETE /v1/userData with that environment\'s key. With --json prints {"deleted": <records>}.',
  ],
  args: [{ name: 'user_id', description: 'The user id the game sends' }],
  options: { dashboard: DASHBOARD_OPTION, environment: environmentOption('production'), json: JSON_OPTION },
  async run(args) {
    const dashboardId = args.string('dashboard')!;
    const userId = args.positional('user_id');
    const deleted = await withContext(async ({ services }) => {
      await services.tenancy.getDashboard(dashboardId);
      const result = await services.userData.deletePlayer(
        dashboardId,
        args.string('environment') as Environment,
        userId,
      );
      return result.records;
    });
    if (args.flag('json')) printJson({ deleted });
    else printLines([`Deleted ${deleted} record(s) of ${clean(userId)}`]);
  },
};

export const personaCommands: readonly CommandSpec[] = [personaRecompute, personaPlayer, userDataDelete];
