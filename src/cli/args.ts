import { parseArgs } from 'node:util';

/** A mistake in the command line itself: the CLI exits 2 and points at the right help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help explains the mistake; undefined for the general help. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }

  get hint(): string {
    return `Run 'traitforge ${this.command === undefined ? '' : `${this.command} `}--help' for usage.`;
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder in the help, e.g. "id" shows as `--dashboard <id>`. */
  value?: string;
  /** The only accepted values, checked before the command runs. */
  choices?: readonly string[];
  default?: string;
  required?: boolean;
  /** The value must be a number, e.g. `--target 2.5`; read it with `Args.number`. */
  number?: boolean;
  /** Bounds on a string value's length, as the admin API's schema sets them. */
  minLength?: number;
  maxLength?: number;
  description: string;
}

export interface ArgSpec {
  name: string;
  description: string;
}

export interface CommandSpec {
  /** The words that select the command, e.g. "key create". */
  name: string;
  summary: string;
  /** More lines for `<command> --help`: what it prints, what to watch out for. */
  details?: readonly string[];
  /** Required positional arguments, in order. */
  args: readonly ArgSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Options of which exactly one must be given, e.g. `(--url <url> | --clear)`. */
  oneOf?: readonly string[];
  run(args: Args): Promise<void>;
}

export const JSON_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'Print one JSON document on stdout instead of text',
};

export const DASHBOARD_OPTION: OptionSpec = {
  type: 'string',
  value: 'id',
  required: true,
  description: 'The dashboard id: see traitforge dashboard list',
};

export const GAME_ID_OPTION: OptionSpec = {
  type: 'string',
  value: 'id',
  required: true,
  minLength: 1,
  maxLength: 64,
  description: 'The game id, as given to forge-key create --game-id',
};

/** A command's parsed, validated arguments. */
export class Args {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    private readonly positionals: Readonly<Record<string, string>>,
  ) {}

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A string option's value; required and defaulted options are always present. */
  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** A `number` option's value, checked by parseCommandArgs; undefined when not given. */
  number(name: string): number | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : Number(value);
  }

  positional(name: string): string {
    const value = this.positionals[name];
    if (value === undefined) throw new Error(`no positional argument named ${name}`);
    return value;
  }
}

/**
 * `--dashboard <id>` or `--json`, as the help and the error messages spell it. Choices show
 * as `a|b` unless the option names a placeholder (a long list goes in its description).
 */
export function optionSynopsis(name: string, option: OptionSpec): string {
  if (option.type === 'boolean') return `--${name}`;
  if (option.choices && option.value === undefined) return `--${name} ${option.choices.join('|')}`;
  return `--${name} <${option.value ?? name}>`;
}

/** Decimal numbers only: Number() would also take '', '0x1f' and 'Infinity'. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The mistake in one option's value, or undefined when it is fine. */
function badValue(name: string, option: OptionSpec, value: string): string | undefined {
  if (option.choices && !option.choices.includes(value)) {
    const last = option.choices.at(-1) ?? '';
    const others = option.choices.slice(0, -1).join(', ');
    return `--${name} must be ${others === '' ? last : `${others} or ${last}`}, got '${value}'`;
  }
  if (option.number && !(NUMBER.test(value) && Number.isFinite(Number(value)))) {
    return `--${name} must be a number, got '${value}'`;
  }
  const { minLength = 0, maxLength = Infinity } = option;
  if (value.length < minLength || value.length > maxLength) {
    return maxLength === Infinity
      ? `--${name} must be at least ${minLength} characters`
      : minLength === 0
        ? `--${name} must be at most ${maxLength} characters`
        : `--${name} must be ${minLength} to ${maxLength} characters`;
  }
  return undefined;
}

/** node:util's messages suggest `--` tricks and span sentences: say what is wrong, in one line. */
function usageMessage(error: TypeError & { code: unknown }): string {
  const option = /'(-[^' ]*)/.exec(error.message)?.[1] ?? '?';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${option}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `option '${option}' takes no value`;
      return `option '${option}' needs a value`;
    default:
      return error.message.split('. ')[0] ?? error.message;
  }
}

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): Args {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, option]) => [name, { type: option.type }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    if (error instanceof TypeError && 'code' in error) throw new UsageError(usageMessage(error), spec.name);
    throw error;
  }

  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    // No option is `multiple`, so parseArgs never returns an array here.
    if (!Array.isArray(value)) values[name] = value;
  }
  for (const [name, option] of Object.entries(spec.options)) {
    const value = values[name];
    if (value === undefined) {
      if (option.required) throw new UsageError(`missing ${optionSynopsis(name, option)}`, spec.name);
      if (option.default !== undefined) values[name] = option.default;
    } else if (typeof value === 'string') {
      const mistake = badValue(name, option, value);
      if (mistake !== undefined) throw new UsageError(mistake, spec.name);
    }
  }
  if (spec.oneOf) {
    const given = spec.oneOf.filter((name) => values[name] !== undefined);
    const alternatives = spec.oneOf.map((name) => optionSynopsis(name, spec.options[name]!));
    if (given.length === 0) throw new UsageError(`missing ${alternatives.join(' or ')}`, spec.name);
    if (given.length > 1) {
      const both = given.map((name) => `--${name}`).join(' and ');
      throw new UsageError(`${both} cannot go together: give one of them`, spec.name);
    }
  }

  const positionals: Record<string, string> = {};
  spec.args.forEach((arg, i) => {
    const value = parsed.positionals[i];
    if (value === undefined) throw new UsageError(`missing <${arg.name}>`, spec.name);
    positionals[arg.name] = value;
  });
  const extra = parsed.positionals[spec.args.length];
  if (extra !== undefined) {
    const quote = spec.args.length > 0 ? ' (quote an argument that contains spaces)' : '';
    throw new UsageError(`unexpected argument '${extra}'${quote}`, spec.name);
  }
  return new Args(values, positionals);
}

/** True when -h/--help appears before a `--` terminator: help wins over every other mistake. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
