// The shape of a `bpfsig` subcommand. Each subcommand is one module under src/cli/ exporting a
// Command; src/cli/commands.ts lists them.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  readonly name: string;
  /** One line for `bpfsig help`. */
  readonly summary: string;
  /** Full usage text for `bpfsig <name> --help`. */
  readonly usage: string;
  /** Returns the process exit code. Bad input: throw UsageError (exit 2) or InputError (exit 1). */
  run(argv: string[], io: Io): Promise<number>;
}

/** Wrong flags or arguments: the message and the usage are printed, exit code 2. */
export class UsageError extends Error {}

export { InputError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true }>
>;

/** util.parseArgs with our error type; always allows positionals and `--help`. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/**
 * The signing time for signatures with signed attributes: SOURCE_DATE_EPOCH (seconds, the
 * reproducible-builds convention) when set, else undefined (now, as OpenSSL's CMS_final writes).
 */
export function sourceDateEpoch(): Date | undefined {
  const e = process.env.SOURCE_DATE_EPOCH;
  if (e === undefined || e === '') return undefined;
  if (!/^\d+$/.test(e)) throw new UsageError(`SOURCE_DATE_EPOCH must be a number of seconds, not '${e}'`);
  return new Date(Number(e) * 1000);
}
