// `bpfsig profiles [--json] [--stages]`: the registered schemes, their kernel profiles and
// toolchains, and what each changes. spec: PROF-1, PROF-2, TC-*.

import { formatProfiles, profilesReport } from '../scenarios/profiles-report.js';
import { schemesMarkdown } from '../scenarios/schemes-doc.js';
import { parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig profiles [--json | --markdown] [--stages]

Lists every scheme bpfsig models, with its kernel profiles (release, the fixes it carries, the
UAPI it has, how its BPF_PROG_LOAD stage order differs from the default profile's) and its
toolchains (what they sign, which libbpf bpf_load_and_run flow their skeletons use).

  --stages   also print each profile's whole stage order
  --json     one JSON object (format bpfsig-profiles/1, see docs/cli.md), stages included
  --markdown docs/schemes.md: the same per scheme, with the errno every profile gives for the
             raw BPF_PROG_LOAD probes (run on the model)`;

export const profilesCommand: Command = {
  name: 'profiles',
  summary: SUMMARIES.profiles,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, markdown: { type: 'boolean' }, stages: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other');
    const r = profilesReport();
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else if (values.markdown) io.out(schemesMarkdown(r));
    else io.out(formatProfiles(r, { stages: !!values.stages }).join('\n').trimEnd());
    return 0;
  },
};
