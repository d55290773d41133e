// Text reports of real-kernel runs: the same sections as the emulator's (`bpfsig skel load`).

import { objectLines } from '../scenarios/skel-report.js';
import { realSkelToJson, type RealSkelRun } from './skel-load.js';

export function formatRealSkel(run: RealSkelRun, opts: { audit?: boolean } = {}): string[] {
  const json = realSkelToJson(run);
  const k = run.keyring;
  const out = [
    `skeleton ${json.skeleton.name} (${json.skeleton.style}, ${json.skeleton.insnCnt} loader insns, ${json.skeleton.dataSize}-byte data blob${json.skeleton.signatureSize !== null ? `, ${json.skeleton.signatureSize}-byte signature` : ', unsigned'})`,
    `real kernel ${run.real.uname} under QEMU (${run.real.accel}, ${(run.real.bootMs / 1000).toFixed(1)} s); ${k.cert ? 'certificate added to the session keyring with add_key' : 'no certificate'}; keyring_id ${k.id}` +
      (run.tampers.length ? `; tampered: ${run.tampers.map((t) => `${t.blob}[${t.offset}] 0x${t.before.toString(16).padStart(2, '0')} → 0x${t.after.toString(16).padStart(2, '0')}`).join(', ')}` : ''),
    '',
    '== timeline (calls of the loading process)',
  ];
  for (const c of json.timeline) {
    out.push(`#${c.sys} ${c.cmd ?? c.call}${c.size !== null ? ` (attr ${c.size})` : ''} → ${c.ret !== null && c.ret < 0 ? `-${c.errno}` : c.ret}`);
    for (const e of c.events) out.push(`    ${e.kind === 'audit' ? `audit ${e.text}` : e.kind === 'note' ? e.text : ''}`);
  }
  const r = run.result;
  out.push('', '== result', `result: ${r.err === 0 ? '0 (loaded)' : `-${json.errno} (${r.err})`}  errstr ${r.errstr === null ? 'none' : `"${r.errstr}"`}  loader retval ${r.loaderRetval ?? 'none (the loader did not run)'}`);
  out.push(...objectLines(json));
  if (opts.audit) out.push('', '== audit records (type=1334, from the kernel log)', ...json.audit);
  return out;
}
