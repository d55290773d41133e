// `bpfsig demo`: the scheme demo — a signed light skeleton generated from the embedded example,
// loaded twice on an emulated v6.18 kernel, the second time with one byte of its metadata changed:
// the v6.18 false positive, told from the run. `bpfsig demo maps`: the earlier walk through maps,
// freeze, exclusive maps and map hashes.

import { formatAuditd } from '../audit/format.js';
import { AuditSeries } from '../audit/series.js';
import { AUDIT_FILE_FLAG, writeAuditFile } from './audit-file.js';
import { DEMO_CN, runSchemeDemo, type DemoRun, type SchemeDemo } from '../scenarios/scheme-demo.js';
import { runMapWalk, type MapWalk } from '../scenarios/map-walk.js';
import { formatSkelRun, skelRunToJson } from '../scenarios/skel-report.js';
import { renderTimeline } from '../scenarios/timeline.js';
import { getProfile, profileNames } from '../syscall/profiles/index.js';
import { parseCommandArgs, UsageError, type Command, type Io } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig demo [--profile NAME] [--data-offset N] [--json] [--capable] [--audit-file FILE]
       bpfsig demo maps [--capable] [--audit-file FILE]

bpfsig demo (no argument): the signed-BPF scheme of Linux 6.18 and its false positive, end to end.
  1. makes a fresh RSA-2048 key and a self-signed certificate ("${DEMO_CN}");
  2. generates bpftool 7.7's signed light skeleton (gen skeleton -S) from the embedded example
     examples/bpf/hello.bpf.o and signs the loader with that key;
  3. loads it on an emulated kernel (default profile v6.18) with the certificate in the session
     keyring (add_key, keyring_id -3): the signature verifies and the skeleton loads;
  4. loads it again with one byte of the data blob (the loader's metadata) changed: the signature
     still verifies, the LSM hook allows the signed program and audit records its LOAD, and only
     then, inside BPF_PROG_TEST_RUN, does the loader's own hash check fail (-EINVAL).
For each run it prints the timeline, the result and the audit log, then explains what happened;
every fact in the explanation is read from the runs (if a run does not show the expected pattern,
the demo says what it saw instead).

The key is random (node:crypto cannot derive one from a seed); nothing printed depends on it —
not the signature bytes, not the key id — so the output is the same on every run.

  --profile NAME     kernel profile (${profileNames().join(', ')}); e.g. v6.18.44 (no
                     CONFIG_SYSTEM_DATA_VERIFICATION) refuses the signed loader
  --data-offset N    the byte of the data blob run 2 changes (default: the return value of the
                     program inside the blob, located from run 1)
  --json             one JSON object (format bpfsig-demo/1, see docs/cli.md)
  --capable          show capable() checks in the timelines
  --audit-file FILE  write the whole audit log of both runs to FILE in auditd's format (what
                     ausearch -if and aureport -if read) and nothing else; run 2's serials and
                     timestamps follow run 1's

bpfsig demo maps: a deterministic walk through map creation, exclusive maps, freeze and map hashes,
first under v6.18 as released (where a hash taken before freezing goes stale, KP-META-4), then
the same opening steps under v6.18-stable (where that hash request fails with EPERM, STB-2).`;

function steps(w: MapWalk): string[] {
  return w.steps.map((s, i) => {
    const r = s.result.outcome === 'not-emulated' ? 'not emulated' : s.result.ret < 0 ? `-${s.result.errno}` : String(s.result.ret);
    return `  ${String(i + 1).padStart(2)}. ${s.what.padEnd(56)} ${r.padEnd(8)} [${s.spec}]${s.note ? `\n      ${s.note}` : ''}`;
  });
}

function mapsDemo(io: Io, capable: boolean, auditFile: string | undefined): number {
  const audit = new AuditSeries();
  const a = runMapWalk('v6.18', audit);
  const b = runMapWalk('v6.18-stable', audit);
  writeAuditFile(auditFile, audit);
  const out: string[] = [];
  out.push('bpfsig demo maps — maps, freeze, exclusive maps and map hashes on an emulated kernel', '');
  out.push(`== kernel profile ${a.kernel.profile.name}: ${a.kernel.profile.summary}`, ...steps(a));
  if (a.staleSha) {
    const stale = a.staleSha.mapSha !== a.staleSha.contentSha;
    out.push(
      '',
      `  After freezing, before any new hash request, map->sha (what the signed loader compares) is`,
      `    ${a.staleSha.mapSha}`,
      `  while SHA-256 of what the map now holds is`,
      `    ${a.staleSha.contentSha}`,
      stale ? '  The hash is stale: a loader would accept the changed metadata (KP-META-4).' : '  The hash matches the content.',
    );
  }
  out.push('', '== timeline', ...renderTimeline(a.kernel.trace.events, { capable }));
  out.push('', '== audit log (auditd format)', ...formatAuditd(a.kernel.audit.records));
  out.push('', `== the same opening steps under ${b.kernel.profile.name}: ${b.kernel.profile.summary}`, ...steps(b).slice(0, 6));
  io.out(out.join('\n'));
  return 0;
}

/** Wrap a paragraph at 100 columns. */
function wrap(text: string, width = 100): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function demoJson(d: SchemeDemo) {
  const runJson = (r: DemoRun) => ({ label: r.label, pattern: r.pattern, account: r.account, ...skelRunToJson(r.run) });
  return {
    format: 'bpfsig-demo/1',
    object: { path: d.objectPath.slice(d.objectPath.lastIndexOf('examples/')), name: d.objectName },
    // Key-dependent values (SKID, signature bytes) are left out: the key is random on every run.
    identity: { cn: DEMO_CN, key: 'RSA-2048 (random)', certificateBytes: d.identity.certDer.length },
    skeleton: {
      toolchain: 'bpftool-7.7',
      signed: true,
      insnCnt: d.skeleton.insns.length / 8,
      dataSize: d.skeleton.data.length,
      signatureSize: d.skeleton.signature?.length ?? null,
    },
    tamper: { blob: 'data', ...d.tamper },
    runs: d.runs.map(runJson),
    falsePositive: d.falsePositive,
    conclusion: d.conclusion,
  };
}

function schemeDemoText(d: SchemeDemo, capable: boolean): string[] {
  const [r1, r2] = d.runs;
  const out: string[] = [
    `bpfsig demo — a signed light skeleton on an emulated ${r1.run.profile} kernel, loaded twice`,
    '',
    `object    ${d.objectPath.slice(d.objectPath.lastIndexOf('examples/'))} (the embedded example)`,
    `key       a fresh RSA-2048 key and a self-signed certificate "${DEMO_CN}" (${d.identity.certDer.length} bytes DER)`,
    `skeleton  bpftool 7.7 gen skeleton -S: ${d.skeleton.name}, ${d.skeleton.insns.length / 8} loader instructions, ` +
      `${d.skeleton.data.length}-byte data blob, ${d.skeleton.signature?.length}-byte PKCS#7 signature over the instructions`,
    `tamper    run 2 changes byte ${d.tamper.offset} of the data blob (0x${d.tamper.before.toString(16).padStart(2, '0')} → 0x${d.tamper.after.toString(16).padStart(2, '0')}):`,
    ...wrap(d.tamper.what, 90).map((l) => `          ${l}`),
  ];
  for (const r of [r1, r2]) out.push('', `######## ${r.label}`, ...formatSkelRun(r.run, { audit: true, capable }));
  out.push('', '######## what happened', ...wrap(d.conclusion));
  return out;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: SUMMARIES.demo,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      profile: { type: 'string' },
      'data-offset': { type: 'string' },
      json: { type: 'boolean' },
      capable: { type: 'boolean' },
      ...AUDIT_FILE_FLAG,
    });
    if (positionals[0] === 'maps') {
      if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
      if (values.profile || values['data-offset'] || values.json) throw new UsageError('demo maps takes only --capable and --audit-file');
      return mapsDemo(io, !!values.capable, values['audit-file']);
    }
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (did you mean 'demo maps'?)`);
    if (values.profile && !getProfile(values.profile)) throw new UsageError(`unknown profile '${values.profile}' (one of ${profileNames().join(', ')})`);
    let dataOffset: number | undefined;
    if (values['data-offset'] !== undefined) {
      const v = values['data-offset'];
      if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) throw new UsageError(`--data-offset '${v}' is not a byte offset (decimal or 0x-hex)`);
      dataOffset = Number(v);
    }
    const audit = new AuditSeries();
    const d = runSchemeDemo({ audit, ...(values.profile ? { profile: values.profile } : {}), ...(dataOffset !== undefined ? { dataOffset } : {}) });
    writeAuditFile(values['audit-file'], audit);
    io.out(values.json ? JSON.stringify(demoJson(d), null, 2) : schemeDemoText(d, !!values.capable).join('\n'));
    return 0;
  },
};
