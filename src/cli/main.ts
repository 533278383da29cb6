#!/usr/bin/env node
import { ConfigError } from '../config/config.js';
import { AppError } from '../errors.js';
import { VERSION } from '../version.js';
import { parseCommandArgs, UsageError, wantsHelp, type CommandSpec } from './args.js';
import { dashboardCommands } from './dashboard.command.js';
import { forgeKeyCommands } from './forge-key.command.js';
import { commandHelp, generalHelp, groupHelp } from './help.js';
import { connectionCommands } from './connection.command.js';
import { importCommand } from './import.command.js';
import { keyCommands } from './key.command.js';
import { migrateCommand } from './migrate.command.js';
import { printLines } from './output.js';
import { playerCommands } from './player.command.js';
import { questCommands } from './quest.command.js';
import { settingsCommands } from './settings.command.js';
import { personaCommands } from './persona.command.js';
import { segmentCommands } from './segment.command.js';
import { statsCommand } from './stats.command.js';
import { traitsCommands } from './traits.command.js';
import { workerCommand } from './worker.command.js';

/** `traitforge <command>`: a thin shell over the services the HTTP API uses. */
const COMMANDS: readonly CommandSpec[] = [
  migrateCommand,
  ...dashboardCommands,
  ...keyCommands,
  statsCommand,
  importCommand,
  ...connectionCommands,
  ...settingsCommands,
  workerCommand,
  ...forgeKeyCommands,
  ...playerCommands,
  ...questCommands,
  ...segmentCommands,
  ...personaCommands,
  ...traitsCommands,
];

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const words = (spec: CommandSpec) => spec.name.split(' ');
const groupOf = (group: string) => COMMANDS.filter((c) => words(c).length > 1 && words(c)[0] === group);

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** " (did you mean 'key'?)" for a near miss; empty when nothing is close. */
function suggestion(word: string, candidates: readonly string[]): string {
  const best = candidates
    .map((c) => [c, distance(word, c)] as const)
    .filter(([, d]) => d <= 2)
    .sort((x, y) => x[1] - y[1])[0];
  return best ? ` (did you mean '${best[0]}'?)` : '';
}

function unknownCommand(argv: readonly string[]): UsageError {
  const [first = '', second] = argv;
  const group = groupOf(first);
  if (group.length === 0) {
    const names = [...new Set(COMMANDS.map((c) => words(c)[0]!)), 'help'];
    return new UsageError(`unknown command '${first}'${suggestion(first, names)}`);
  }
  const subcommands = group.map((c) => words(c)[1]!);
  if (second === undefined || second.startsWith('-')) {
    return new UsageError(`'${first}' needs a command: ${subcommands.join(', ')}`, first);
  }
  const near = suggestion(second, subcommands).replace("'", `'${first} `);
  return new UsageError(`unknown command '${first} ${second}'${near}`, first);
}

/** The command named by the leading words of argv, and the arguments after them. */
function findCommand(argv: readonly string[]): [CommandSpec, string[]] | undefined {
  for (const spec of COMMANDS) {
    const name = words(spec);
    if (name.every((word, i) => argv[i] === word)) return [spec, argv.slice(name.length)];
  }
  return undefined;
}

/** `traitforge help [<command>]`: the same texts as `--help`. */
function help(topic: readonly string[]): number {
  const name = topic.filter((word) => word !== '--help' && word !== '-h');
  if (name.length === 0) {
    printLines(generalHelp(COMMANDS));
    return EXIT_OK;
  }
  const found = findCommand(name);
  if (found && found[1].length === 0) {
    printLines(commandHelp(found[0]));
    return EXIT_OK;
  }
  if (name.length === 1 && groupOf(name[0]!).length > 0) {
    printLines(groupHelp(name[0]!, groupOf(name[0]!)));
    return EXIT_OK;
  }
  throw unknownCommand(name);
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // No command at all: show what there is, but as a usage error so scripts notice.
    process.stderr.write(generalHelp(COMMANDS).join('\n') + '\n');
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') return help([]);
  if (first === 'help') return help(rest);
  if (first === '--version') {
    printLines([VERSION]);
    return EXIT_OK;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (the command comes first)`);

  const found = findCommand(argv);
  if (!found) {
    const group = groupOf(first);
    if (group.length > 0 && wantsHelp(rest.slice(0, 1))) {
      printLines(groupHelp(first, group));
      return EXIT_OK;
    }
    throw unknownCommand(argv);
  }
  const [spec, args] = found;
  if (wantsHelp(args)) {
    printLines(commandHelp(spec));
    return EXIT_OK;
  }
  await spec.run(parseCommandArgs(spec, args));
  return EXIT_OK;
}

/** An error's own words; Node's connection errors can be an AggregateError with no message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map((e: unknown) => describe(e)).join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`traitforge: ${error.message}\n${error.hint}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`traitforge: ${describe(error)}\n`);
  // Refusals and bad settings are the user's to fix; anything else may be a bug worth a stack.
  const expected = error instanceof AppError || error instanceof ConfigError;
  const debug = /^(debug|trace)$/.test(process.env.TRAITFORGE_LOG_LEVEL ?? '');
  if (!expected && debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAILED;
}

// `traitforge ... | head` closes stdout early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  throw error;
});

process.exitCode = await dispatch(process.argv.slice(2)).catch(report);
