#!/usr/bin/env node
// The `bpfsig` command line.

import { commands } from './commands.js';
import { InputError } from '../errors.js';
import { UsageError, stdio, type Io } from './command.js';
import { EXIT, EXIT_STATUS_TEXT } from './exit-codes.js';

const HELP = `bpfsig — an emulator of the Linux kernel path that verifies signed BPF programs

usage: bpfsig <command> [options]

commands:
${commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Run \`bpfsig <command> --help\` for a command's options.
${EXIT_STATUS_TEXT}
Environment: BPFSIG_SHARED (folder holding fixtures/ and conformance/, default ../shared),
             BPFSIG_DEBUG=1 (print stack traces of internal errors).`;

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === 'version') {
    io.out('bpfsig 0.1.0');
    return EXIT.OK;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`bpfsig: unknown command '${name}'\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return EXIT.OK;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bpfsig ${cmd.name}: ${e.message}\n\n${cmd.usage}`);
      return EXIT.USAGE;
    }
    if (e instanceof InputError) {
      io.err(`bpfsig ${cmd.name}: ${oneLine(e.message)}`);
      return EXIT.INPUT;
    }
    const err = e as Error;
    io.err(`bpfsig ${cmd.name}: internal error: ${oneLine(err?.message ?? String(e))}`);
    if (process.env.BPFSIG_DEBUG) io.err(String(err?.stack ?? ''));
    return EXIT.INTERNAL;
  }
}

/** Error messages are one line on stderr, whatever the input put in them (a file name with newlines…). */
function oneLine(msg: string): string {
  const s = msg.replace(/[\r\n]+/g, ' ').trim();
  return s.length > 400 ? s.slice(0, 400) + '…' : s;
}

// Run when executed directly (node dist/cli/main.js, npx bpfsig), not when imported by tests.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const self = fileURLToPath(import.meta.url);
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === self) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
