// `bpfsig demo`: a short, deterministic walk through the emulated kernel, with its trace and audit log.

import { formatAuditd } from '../audit/format.js';
import { runMapWalk, type MapWalk } from '../scenarios/map-walk.js';
import { renderTimeline } from '../scenarios/timeline.js';
import { parseCommandArgs, type Command } from './command.js';

const usage = `usage: bpfsig demo [--capable]

A walk through map creation, exclusive maps, freeze and map hashes on the emulated kernel:
first under v6.18 as released (where a hash taken before freezing goes stale, KP-META-4), then
the same opening steps under v6.18-stable (where that hash request fails with EPERM, STB-2).
Prints each step, the syscall timeline (LSM hooks and their returns, ids, fds, audit records) and
the audit log in auditd's format. The output is the same on every run.

  --capable   also show capable() checks in the timeline`;

function steps(w: MapWalk): string[] {
  return w.steps.map((s, i) => {
    const r = s.result.ret < 0 ? `-${s.result.errno}` : String(s.result.ret);
    return `  ${String(i + 1).padStart(2)}. ${s.what.padEnd(56)} ${r.padEnd(8)} [${s.spec}]${s.note ? `\n      ${s.note}` : ''}`;
  });
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'walk through maps, freeze, exclusive maps and map hashes, with trace and audit log',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { capable: { type: 'boolean' } });
    const a = runMapWalk('v6.18');
    const b = runMapWalk('v6.18-stable');
    const out: string[] = [];
    out.push('bpfsig demo — maps, freeze, exclusive maps and map hashes on an emulated kernel', '');
    out.push(`== kernel profile ${a.kernel.profile.name}: ${a.kernel.profile.summary}`, ...steps(a));
    if (a.staleSha) {
      const stale = a.staleSha.mapSha !== a.staleSha.contentSha;
      out.push(
        '',
        `  After freezing, before any new hash request, map->sha (what the signed loader compares) is`,
        `    ${a.staleSha.mapSha}`,
        `  while SHA-256 of what the map now holds is`,
        `    ${a.staleSha.contentSha}`,
        stale
          ? '  The hash is stale: a loader would accept the changed metadata (KP-META-4).'
          : '  The hash matches the content.',
      );
    }
    out.push('', '== timeline', ...renderTimeline(a.kernel.trace.events, { capable: !!values.capable }));
    out.push('', '== audit log (auditd format)', ...formatAuditd(a.kernel.audit.records));
    out.push('', `== the same opening steps under ${b.kernel.profile.name}: ${b.kernel.profile.summary}`, ...steps(b).slice(0, 6));
    io.out(out.join('\n'));
    return 0;
  },
};
