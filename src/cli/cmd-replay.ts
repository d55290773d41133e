// `bpfsig replay <transcript.json …> [--json] [--profile P] [--root NAME=DIR …]`

import { resolve } from 'node:path';
import { AuditSeries } from '../audit/series.js';
import { AUDIT_FILE_FLAG, writeAuditFile } from './audit-file.js';
import { InputError } from '../errors.js';
import { replayTranscript, type ReplayReport } from '../scenarios/replay.js';
import { loadTranscript } from '../scenarios/transcript.js';
import { getProfile, profileNames } from '../syscall/profiles/index.js';
import { debianKernels } from '../realkernel/kernels.js';
import { replayOnReal } from '../realkernel/replay-real.js';
import { KERNEL_BTF_FLAG, kernelBtfHelp, kernelBtfOption } from './kernel-btf-option.js';
import { parseCommandArgs, UsageError, type Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig replay <transcript.json …> [--json] [--profile NAME] [--root NAME=DIR …] [--verbose]
                     [--audit-file FILE]

Replays bpfsig-transcript/1 files (bpf(2) calls recorded on a real kernel) against a fresh emulated
kernel and reports, per step, the kernel's answer next to the emulator's. A step the emulator
cannot execute is reported as 'unsupported' (not emulated), and so is every step that uses its
fd, key or output; close/dup2 steps aimed at fds 0-2 are not replayed (unsupported). A step in
which the emulated kernel oopses (a kernel bug the profile models, e.g. hashchain-v1) is reported
as KERNEL OOPS — never as an errno — and counts as a disagreement; the replaying task is dead, so
the steps after it are 'not run'. A positive return that is not an fd (HC-Q-1) never matches an
expected fd.

exit status: 0 every step of every file agrees, 1 a step disagrees, 2 bad usage, 3 an unusable
transcript, 4 no step disagrees but some were not emulated, 70 a bug in bpfsig.

  --profile NAME   kernel profile to use (default: from the transcript's kernel.release);
                   one of: ${profileNames().join(', ')}
  --root NAME=DIR  where fixture files of root NAME live (default: two folders above the
                   transcript, e.g. --root shared/fixtures=../shared/fixtures)
  --json           one JSON object per run: {"files":[…], "ok": bool}
  --verbose        list agreeing steps too (default: only the others, plus counts)
  --audit-file F   write the whole audit log of the replays (one kernel per file, in order) to F
                   in auditd's format and nothing else; no serial or timestamp is reused
  --real KVER      run the files (transcripts or plans: steps without expect) on a real Debian
                   kernel under QEMU (one of ${debianKernels().map((k) => k.kver).join(', ')}), then replay what it
                   answered through the profile that models it; 'kernel' is then the real kernel
  --save DIR       with --real: write the real kernel's transcripts into DIR
${kernelBtfHelp(19)}`;

function total(reports: readonly ReplayReport[]): { s: number; d: number; u: number } {
  return reports.reduce((a, r) => ({ s: a.s + r.steps.length, d: a.d + r.counts.disagree, u: a.u + r.counts.unsupported }), { s: 0, d: 0, u: 0 });
}

function renderText(rep: ReplayReport, verbose: boolean): string {
  const lines = [`${rep.file}  (kernel ${rep.release} → profile ${rep.profile}${rep.kernelBtf.kind === 'builtin' ? '' : `; kernel BTF: ${rep.kernelBtf.label}`})`];
  for (const s of rep.steps) {
    if (s.status === 'agree' && !verbose) continue;
    lines.push(`  ${s.status.padEnd(11)} ${s.id.padEnd(44)} ${s.cmd.padEnd(24)} kernel ${s.expected.padEnd(10)} emulator ${s.actual}`);
    for (const m of s.mismatches) lines.push(`${' '.repeat(14)}${m}`);
    if (s.detail) lines.push(`${' '.repeat(14)}${s.detail}`);
  }
  const c = rep.counts;
  if (rep.oops) lines.push(`  KERNEL OOPS in step ${rep.oops.step}: ${rep.oops.report.text}; the replaying task was killed and the steps after it did not run`);
  lines.push(`  ${rep.steps.length} steps: ${c.agree} agree, ${c.disagree} disagree, ${c.unsupported} unsupported`);
  return lines.join('\n');
}

export const replayCommand: Command = {
  name: 'replay',
  summary: SUMMARIES.replay,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      profile: { type: 'string' },
      root: { type: 'string', multiple: true },
      real: { type: 'string' },
      save: { type: 'string' },
      ...KERNEL_BTF_FLAG,
      ...AUDIT_FILE_FLAG,
    });
    const btf = kernelBtfOption(values);
    if (positionals.length === 0) throw new UsageError('no transcript given');
    if (values.profile && !getProfile(values.profile)) throw new UsageError(`unknown profile '${values.profile}' (one of ${profileNames().join(', ')})`);
    const roots = new Map<string, string>();
    for (const r of values.root ?? []) {
      const eq = r.indexOf('=');
      if (eq <= 0) throw new UsageError(`--root wants NAME=DIR, got '${r}'`);
      roots.set(r.slice(0, eq), resolve(r.slice(eq + 1)));
    }
    const reports: ReplayReport[] = [];
    if (values.save && values.real === undefined) throw new UsageError('--save needs --real');
    if (values.real !== undefined) {
      if (values['audit-file'] !== undefined) throw new UsageError('--audit-file is not available with --real (the real kernel reports only its type=1334 records, from its kernel log)');
      const rr = await replayOnReal(values.real, positionals, {
        roots,
        ...(values.profile ? { profile: values.profile } : {}),
        ...(values.save ? { save: values.save } : {}),
        ...btf,
        progress: (l) => io.err(l),
      });
      const header = `real kernel ${rr.real.uname} under QEMU (${rr.real.accel}, ${(rr.real.bootMs / 1000).toFixed(1)} s)`;
      if (values.json) {
        io.out(JSON.stringify({ ok: rr.files.every((f) => f.emulator?.ok), real: { kver: rr.real.kver, uname: rr.real.uname, accel: rr.real.accel, bootMs: rr.real.bootMs }, files: rr.files.map((f) => ({ file: f.file, note: f.note, transcript: f.transcript, emulator: f.emulator })) }, null, 2));
      } else {
        io.out(header);
        for (const f of rr.files) {
          if (f.note) io.out(`  note: ${f.note}`);
          if (f.emulator) io.out(renderText(f.emulator, !!values.verbose));
          else {
            io.out(`${f.file}  (real kernel only)`);
            for (const s of f.transcript.steps) io.out(`  ${s.id.padEnd(44)} ${s.cmd.padEnd(24)} kernel ${s.expect.errno ?? `ret=${s.expect.ret}`}`);
          }
        }
      }
      return rr.files.every((f) => f.emulator?.ok) ? 0 : 1;
    }
    const audit = new AuditSeries();
    for (const file of positionals) {
      const t = loadTranscript(file);
      try {
        reports.push(replayTranscript(t, { file, roots, kernel: { audit: { series: audit }, ...(btf.kernelBtf !== undefined ? btf : {}) }, ...(values.profile ? { profile: values.profile } : {}) }));
      } catch (e) {
        if (e instanceof RangeError) throw new InputError(`${file}: ${e.message}`);
        throw e;
      }
    }
    writeAuditFile(values['audit-file'], audit);
    const ok = reports.every((r) => r.ok);
    if (values.json) io.out(JSON.stringify({ ok, files: reports }, null, 2));
    else {
      io.out(reports.map((r) => renderText(r, !!values.verbose)).join('\n\n'));
      const t = total(reports);
      io.out(`\n${ok ? 'OK' : t.d ? 'MISMATCH' : 'NOT EMULATED'}: ${reports.length} file(s), ${t.s} steps, ${t.d} disagree, ${t.u} unsupported`);
    }
    return total(reports).d > 0 ? EXIT.REJECTED : total(reports).u > 0 ? EXIT.NOT_EMULATED : EXIT.OK;
  },
};
