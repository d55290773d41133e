// Every `bpfsig` subcommand, in the order `bpfsig help` lists them. A command's module (and the
// emulator behind it) is imported only when that command runs or shows its usage (issue K:
// `bpfsig --help` and `--version` load none of them).

import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';

/** A command known by name and summary; `resolve()` imports it (the schemes registered first). */
function lazy(name: keyof typeof SUMMARIES, load: () => Promise<Command>): Command {
  let loaded: Promise<Command> | undefined;
  const resolve = () =>
    (loaded ??= import('../schemes/index.js').then(load).then((c) => {
      if (c.name !== name) throw new Error(`command module for '${name}' exports '${c.name}'`);
      return c;
    }));
  return {
    name,
    summary: SUMMARIES[name],
    get usage(): string {
      throw new Error(`bpfsig ${name}: usage read before the command was loaded (await resolveCommand)`);
    },
    run: async (argv, io) => (await resolve()).run(argv, io),
    resolve,
  };
}

export const commands: Command[] = [
  lazy('compare', async () => (await import('./cmd-compare.js')).compareCommand),
  lazy('claims', async () => (await import('./cmd-claims.js')).claimsCommand),
  lazy('demo', async () => (await import('./cmd-demo.js')).demoCommand),
  lazy('skel', async () => (await import('./cmd-skel.js')).skelCommand),
  lazy('explain', async () => (await import('./cmd-explain.js')).explainCommand),
  lazy('gen', async () => (await import('./cmd-gen.js')).genCommand),
  lazy('profiles', async () => (await import('./cmd-profiles.js')).profilesCommand),
  lazy('keygen', async () => (await import('./cmd-keygen.js')).keygenCommand),
  lazy('replay', async () => (await import('./cmd-replay.js')).replayCommand),
  lazy('real', async () => (await import('./cmd-real.js')).realCommand),
  lazy('sign', async () => (await import('./cmd-sign.js')).signCommand),
  lazy('verify', async () => (await import('./cmd-verify.js')).verifyCommand),
  lazy('inspect', async () => (await import('./cmd-inspect.js')).inspectCommand),
  lazy('conformance', async () => (await import('./cmd-conformance.js')).conformanceCommand),
];

/** The command itself (imported now if it was lazy). */
export async function resolveCommand(c: Command): Promise<Command> {
  return c.resolve ? c.resolve() : c;
}
