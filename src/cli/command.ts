// The shape of a `bpfsig` subcommand. Each subcommand is one module under src/cli/ exporting a
// Command; src/cli/commands.ts lists them.

import { writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';

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
  /**
   * Returns the process exit code (src/cli/exit-codes.ts). Bad input: throw UsageError (exit 2) or
   * InputError (exit 3).
   */
  run(argv: string[], io: Io): Promise<number>;
  /** A command listed before its module is loaded (src/cli/commands.ts): imports it. */
  resolve?(): Promise<Command>;
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

/**
 * A line writer over a stream that tolerates the reader going away: `bpfsig … | head -c1` closes
 * the pipe, and the next write fails with EPIPE. Node reports that as an 'error' event, which
 * without a listener ends the process with a stack trace. Here the first write error marks the
 * stream closed and later writes are dropped: the command runs to its end and exits with its own
 * status (the shell reports the reader's).
 */
export function lineWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    // EPIPE (reader gone), and any other write failure of an output stream (EBADF, ENOSPC, EIO):
    // there is nobody left to tell, so stop writing.
    closed = true;
    void e;
  });
  return (t) => {
    if (closed || (stream as { destroyed?: boolean }).destroyed) return;
    try {
      stream.write(t.endsWith('\n') ? t : t + '\n');
    } catch {
      closed = true; // a synchronous EPIPE on some stream kinds
    }
  };
}

/** An Io over two streams, each with lineWriter's EPIPE handling. */
export function streamIo(out: NodeJS.WritableStream, err: NodeJS.WritableStream): Io {
  return { out: lineWriter(out), err: lineWriter(err) };
}

let processIo: Io | undefined;
/** The process's stdout and stderr (made on first use, so importing this module touches neither). */
export const stdio: Io = {
  out: (t) => (processIo ??= streamIo(process.stdout, process.stderr)).out(t),
  err: (t) => (processIo ??= streamIo(process.stdout, process.stderr)).err(t),
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

/** A report to `--out FILE` when given (ending in one newline), else to stdout; an unwritable file is unusable input. */
export function emitReport(io: Io, text: string, out: string | undefined): void {
  if (out === undefined) {
    io.out(text);
    return;
  }
  try {
    writeFileSync(out, text.endsWith('\n') ? text : text + '\n');
  } catch (e) {
    throw new InputError(`cannot write --out '${out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
