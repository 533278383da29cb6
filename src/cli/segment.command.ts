import { Value } from '@sinclair/typebox/value';
import { SegmentFilterSchema, type SegmentFilter } from '../personas/segment-filter.js';
import type { Segment } from '../personas/segments.service.js';
import { DASHBOARD_OPTION, JSON_OPTION, UsageError, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { clean, printJson, printLines, table } from './output.js';

const FILTER_FIELDS =
  'country, platform, language (a value or a list), level_min, level_max, payer (true/false), spend_min, spend_max, active_since, registered_since';

/** The --filter JSON, checked against the same schema as POST /admin/v1/dashboards/:id/segments. */
function parseFilter(text: string | undefined): SegmentFilter {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--filter must be a JSON object, e.g. '{"country":"US","payer":true}'`,
      'segment create',
    );
  }
  const error = Value.Errors(SegmentFilterSchema, value).First();
  if (error) {
    const path = error.path === '' ? 'the filter' : `filter${error.path.replaceAll('/', '.')}`;
    throw new UsageError(`${path}: ${error.message} (fields: ${FILTER_FIELDS})`, 'segment create');
  }
  return value as SegmentFilter;
}

const segmentCreate: CommandSpec = {
  name: 'segment create',
  summary: 'Create a segment: a name and a filter over the players; its personas are computed soon after',
  details: [
    `Filter fields (all optional, all must hold): ${FILTER_FIELDS}.`,
    'With --json prints the same object as POST /admin/v1/dashboards/:id/segments: {"id", "name", "filter"}.',
  ],
  args: [{ name: 'name', description: 'The segment name, 1 to 200 characters' }],
  options: {
    dashboard: DASHBOARD_OPTION,
    filter: {
      type: 'string',
      value: 'json',
      description: 'The filter as a JSON object (default {}: every player)',
    },
    json: JSON_OPTION,
  },
  async run(args) {
    const filter = parseFilter(args.string('filter'));
    const segment = await withContext(({ services }) =>
      services.segments.create(args.string('dashboard')!, args.positional('name'), filter),
    );
    if (args.flag('json')) printJson(segment);
    else
      printLines([
        `Created segment ${segment.id} (${clean(segment.name)}): ${JSON.stringify(segment.filter)}`,
      ]);
  },
};

const segmentList: CommandSpec = {
  name: 'segment list',
  summary: "List a dashboard's segments, default first",
  details: ['With --json prints the same array as GET /admin/v1/dashboards/:id/segments.'],
  args: [],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const segments: Segment[] = await withContext(({ services }) =>
      services.segments.list(args.string('dashboard')!),
    );
    if (args.flag('json')) printJson(segments);
    else
      printLines(
        table([
          ['ID', 'NAME', 'FILTER'],
          ...segments.map((s) => [s.id, clean(s.name), JSON.stringify(s.filter)]),
        ]),
      );
  },
};

const segmentDelete: CommandSpec = {
  name: 'segment delete',
  summary: 'Delete a segment with its personas (the default segment cannot be deleted)',
  details: ['With --json prints {"id": "<segment id>", "deleted": true}.'],
  args: [{ name: 'segment_id', description: 'The segment id (seg_...) from traitforge segment list' }],
  options: { dashboard: DASHBOARD_OPTION, json: JSON_OPTION },
  async run(args) {
    const id = args.positional('segment_id');
    await withContext(({ services }) => services.segments.delete(args.string('dashboard')!, id));
    if (args.flag('json')) printJson({ id, deleted: true });
    else printLines([`Deleted segment ${id}`]);
  },
};

export const segmentCommands: readonly CommandSpec[] = [segmentCreate, segmentList, segmentDelete];
