// `bpfsig profiles [--json] [--stages]`: the registered schemes, their kernel profiles and
// toolchains, and what each changes. spec: PROF-1, PROF-2, TC-*.

import { formatProfiles, profilesReport } from '../scenarios/profiles-report.js';
import { parseCommandArgs, UsageError, type Command } from './command.js';

const usage = `usage: bpfsig profiles [--json] [--stages]

Lists every scheme bpfsig models, with its kernel profiles (release, the fixes it carries, the
UAPI it has, how its BPF_PROG_LOAD stage order differs from the default profile's) and its
toolchains (what they sign, which libbpf bpf_load_and_run flow their skeletons use).

  --stages   also print each profile's whole stage order
  --json     one JSON object (format bpfsig-profiles/1, see docs/cli.md), stages included`;

export const profilesCommand: Command = {
  name: 'profiles',
  summary: 'list schemes, kernel profiles and toolchains, and what each changes',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, stages: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const r = profilesReport();
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else io.out(formatProfiles(r, { stages: !!values.stages }).join('\n').trimEnd());
    return 0;
  },
};
