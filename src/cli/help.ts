import { VERSION } from '../version.js';
import { optionSynopsis, type CommandSpec } from './args.js';
import { table } from './output.js';

/**
 * The full synopsis: required options, then the `(--a | --b)` choice, then arguments, then
 * optional options.
 */
export function synopsis(spec: CommandSpec): string {
  const oneOf = spec.oneOf ?? [];
  const options = Object.entries(spec.options).filter(([name]) => !oneOf.includes(name));
  const choice = oneOf.map((name) => optionSynopsis(name, spec.options[name]!)).join(' | ');
  return [
    spec.name,
    ...options.filter(([, o]) => o.required).map(([name, o]) => optionSynopsis(name, o)),
    ...(oneOf.length > 0 ? [`(${choice})`] : []),
    ...spec.args.map((arg) => `<${arg.name}>`),
    ...options.filter(([, o]) => !o.required).map(([name, o]) => `[${optionSynopsis(name, o)}]`),
  ].join(' ');
}

const ENVIRONMENT_HELP = [
  'Environment: the same TRAITFORGE_* variables as the server, notably',
  ...table(
    [
      ['TRAITFORGE_DATA_DIR', 'directory of the SQLite database (default ./data)'],
      ['TRAITFORGE_DATABASE_URL', 'postgres://... to use PostgreSQL instead of SQLite'],
    ],
    { indent: '  ' },
  ),
];

const EXIT_CODES =
  'Exit codes: 0 done, 1 refused or failed (e.g. unknown dashboard or player, bad setting), 2 usage error.';

export function generalHelp(commands: readonly CommandSpec[]): string[] {
  return [
    `traitforge ${VERSION}: operate a Traitforge database from the command line`,
    '',
    'Usage: traitforge <command> [options]',
    '',
    'Commands:',
    ...table(
      [
        ...commands.map((c) => [[c.name, ...c.args.map((a) => `<${a.name}>`)].join(' '), c.summary]),
        ['help [<command>]', 'Show the usage of a command'],
      ],
      { indent: '  ' },
    ),
    '',
    'Options:',
    ...table(
      [
        ['-h, --help', "Show help (also after a command: 'traitforge key create --help')"],
        ['--version', 'Print the version'],
      ],
      { indent: '  ' },
    ),
    '',
    ...ENVIRONMENT_HELP,
    '',
    EXIT_CODES,
  ];
}

/** `traitforge dashboard --help`: the commands of one group. */
export function groupHelp(group: string, commands: readonly CommandSpec[]): string[] {
  return [
    `Usage: traitforge ${group} <command> [options]`,
    '',
    'Commands:',
    // Synopses are long (key create): each gets its own line, its summary the next.
    ...commands.flatMap((c) => [`  ${synopsis(c)}`, `      ${c.summary}`]),
    '',
    `Run 'traitforge ${group} <command> --help' for a command's options.`,
  ];
}

export function commandHelp(spec: CommandSpec): string[] {
  const rows = [
    ...spec.args.map((arg) => [`<${arg.name}>`, arg.description]),
    ...Object.entries(spec.options).map(([name, option]) => [
      optionSynopsis(name, option),
      option.required ? `${option.description} (required)` : option.description,
    ]),
    ['-h, --help', 'Show this help'],
  ];
  return [
    `Usage: traitforge ${synopsis(spec)}`,
    '',
    `${spec.summary}.`,
    ...(spec.details ?? []),
    '',
    ...table(rows, { indent: '  ' }),
    '',
    ...ENVIRONMENT_HELP,
    '',
    EXIT_CODES,
  ];
}
