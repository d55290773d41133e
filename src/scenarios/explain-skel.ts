// Plain-language accounts of a skeleton load, written from its facts (skel-facts.ts) and nothing
// else: every id, errno, return value and audit serial in the text is read from the run, and the
// shape of the account follows what the run did — a load that does not show the false positive
// is described as what it was. spec: AUD-FP-1/2 (the false-positive trail), KP-META-1/2,
// KP-LOAD-2/3, KP-LSM-3/5, KP-AUD-1/2, OBS-AUD-1.

import { cmdName } from '../syscall/uapi/consts.js';
import type { AuditRef, CallFacts, SkelFacts } from './skel-facts.js';

/** How a load went, as far as the signed-loader story is concerned. */
export type SkelPattern =
  /** The skeleton loaded (err 0). */
  | 'loaded'
  /** Signature verified, LSM allowed, LOAD audited, then the loader itself failed in TEST_RUN. */
  | 'false-positive'
  /** The loader loaded (unsigned, or signed without the LSM/audit steps) and then failed in TEST_RUN. */
  | 'loader-failed'
  /** BPF_PROG_LOAD of the loader failed. */
  | 'load-refused'
  /** BPF_PROG_TEST_RUN itself failed. */
  | 'run-failed'
  /** An earlier step of bpf_load_and_run failed (map create, update, freeze, hash). */
  | 'setup-failed'
  /** The kernel oopsed in one of the syscalls: the task was killed, `<name>__load()` never returned. */
  | 'kernel-oops';

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

function errStr(ret: number, errno: string | null): string {
  return errno ? `-${errno} (${ret})` : String(ret);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `BTF_LOAD, MAP_CREATE ×3, …` in first-seen order. */
function callList(calls: readonly CallFacts[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.cmd.replace(/^BPF_/, ''), (counts.get(c.cmd.replace(/^BPF_/, '')) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n > 1 ? `${c} ×${n}` : c)).join(', ');
}

/** `event 5, the BPF_PROG_LOAD syscall (a0=5)` — from the SYSCALL record of the same event. */
function eventOf(a: AuditRef): string {
  if (a.syscall === '321' && a.a0 !== null) return `event ${a.serial}, the ${cmdName(parseInt(a.a0, 16))} syscall (SYSCALL record syscall=321 a0=${a.a0})`;
  if (a.syscall === '3') return `event ${a.serial}, a close() syscall`;
  return `event ${a.serial}${a.syscall ? ` (syscall=${a.syscall}${a.a0 ? ` a0=${a.a0}` : ''})` : ''}`;
}

/** The signer named in the signature stage's verdict, e.g. `key 71937755 ("bpfsig demo")`. */
function signer(detail: string | null): string | null {
  const m = detail ? /Direct signer is (key \d+ \("[^"]*"\))/.exec(detail) : null;
  return m ? m[1]! : null;
}

export function classify(f: SkelFacts): SkelPattern {
  if (f.oops) return 'kernel-oops';
  if (f.err === 0) return 'loaded';
  if (f.progLoad && f.progLoad.ret < 0) return 'load-refused';
  if (!f.progLoad) return 'setup-failed';
  if (!f.testRun || f.testRun.ret < 0) return 'run-failed';
  const verified = f.progLoad.signed && f.signatureStage !== null && f.signatureStage.ret === 0;
  const allowed = f.lsmProgLoad !== null && f.lsmProgLoad.ret === 0 && f.lsmProgLoad.signature !== '0x0';
  if (verified && allowed && f.loaderLoadAudit && f.loaderRetval !== null && f.loaderRetval < 0) return 'false-positive';
  return 'loader-failed';
}

/** What the loader's BPF_PROG_LOAD went through, in one or two sentences. */
function loadSentence(f: SkelFacts): string {
  const pl = f.progLoad!;
  const parts: string[] = [];
  const slot = f.signatureSlot ? `${f.signatureSlot.name} (${f.signatureSlot.id})` : null;
  if (!pl.signed) {
    parts.push(`BPF_PROG_LOAD (#${pl.sys}) of the ${pl.insnCnt}-instruction loader carried no signature, so ${slot ? `${slot} was skipped` : 'nothing was verified'}`);
  } else if (!f.signatureStage) {
    parts.push(`BPF_PROG_LOAD (#${pl.sys}) carried a ${pl.signatureSize}-byte signature (keyring_id ${pl.keyringId}) but this kernel has no signature stage`);
  } else if (f.signatureStage.ret === 0) {
    const who = signer(f.signatureStage.detail);
    parts.push(
      `BPF_PROG_LOAD (#${pl.sys}) carried a ${pl.signatureSize}-byte signature with keyring_id ${pl.keyringId}, and ${slot} returned 0: ` +
        (pl.signatureMapsSize > 0
          ? `the PKCS#7 signature over the 32-byte digest of the ${pl.insnCnt} loader instructions and a hash chain over ${plural(pl.signatureMapsSize, 'map')} named by signature_maps verified`
          : `the PKCS#7 signature over the ${pl.insnCnt} loader instructions verified`) + (who ? ` (signer: ${who})` : ''),
    );
  } else {
    parts.push(`BPF_PROG_LOAD (#${pl.sys}) carried a ${pl.signatureSize}-byte signature with keyring_id ${pl.keyringId}, and ${slot} failed with ${errStr(f.signatureStage.ret, f.signatureStage.errno)}${f.signatureStage.detail ? ` (${f.signatureStage.detail})` : ''}`);
  }
  if (f.lsmProgLoad) {
    const h = f.lsmProgLoad;
    parts.push(
      `security_bpf_prog_load saw signature=${h.signature}${h.signatureSize !== null ? ` signature_size=${h.signatureSize}` : ''} kernel=${h.kernel} and the LSM stack returned ${h.ret}` +
        (h.ret === 0 && h.signature !== '0x0' ? ': an LSM admitting only signed programs would have admitted this one' : ''),
    );
  } else if (pl.ret < 0) {
    parts.push('security_bpf_prog_load was never called');
  }
  return parts.join('; ') + '.';
}

function auditSentence(f: SkelFacts): string {
  if (f.loaderProgId === null) return 'The loader got no program id and audit wrote no BPF record for it.';
  const fd = f.progLoad && f.progLoad.ret >= 0 ? ` and fd ${f.progLoad.ret}` : '';
  const a = f.loaderLoadAudit;
  return `The kernel gave the loader prog id ${f.loaderProgId}${fd}${a ? `, and audit wrote "type=BPF ${a.text}" into ${eventOf(a)}` : ', and audit wrote no BPF record for it'}.`;
}

function innerSentence(f: SkelFacts): string {
  if (f.innerCalls.length === 0) return 'without a single bpf_sys_bpf call';
  const failed = f.innerCalls.find((c) => c.ret < 0);
  return `after ${plural(f.innerCalls.length, 'bpf_sys_bpf call')} (${callList(f.innerCalls)})${failed ? `, of which ${failed.cmd} (#${failed.sys}) returned ${errStr(failed.ret, failed.errno)}` : ''}`;
}

function madeCalls(f: SkelFacts): string {
  return f.innerCalls.length ? `${plural(f.innerCalls.length, 'bpf_sys_bpf call')} (${callList(f.innerCalls)})` : 'no bpf_sys_bpf call';
}

function hashSentence(f: SkelFacts): string | null {
  if (!f.mapSha || !f.embeddedHash) return null;
  return f.mapSha === f.embeddedHash
    ? `map->sha of __loader.map (${short(f.mapSha)}) equals the hash built into the signed instructions`
    : `map->sha of __loader.map is ${short(f.mapSha)} while the hash built into its signed instructions is ${short(f.embeddedHash)}`;
}

function resultSentence(f: SkelFacts): string {
  if (f.err === null) return 'bpf_load_and_run never returned';
  return f.err === 0 ? 'the skeleton returned 0' : `bpf_load_and_run returned ${errStr(f.err, f.errno)}${f.errstr ? ` ("${f.errstr}")` : ''}`;
}

/** An account of one run (one paragraph). */
export function explainRun(f: SkelFacts): { pattern: SkelPattern; text: string } {
  const pattern = classify(f);
  const s: string[] = [];
  switch (pattern) {
    case 'loaded': {
      if (f.progLoad) s.push(loadSentence(f), auditSentence(f));
      if (f.testRun) {
        const hash = hashSentence(f);
        const inner = f.innerLsmProgLoad;
        const hooks =
          inner.length && inner.every((h) => h.kernel && h.signature === '0x0')
            ? `; security_bpf_prog_load saw ${inner.length === 1 ? 'that program' : `each of those ${inner.length} programs`} with kernel=true and no signature`
            : '';
        const progs = f.innerProgs.map((p) => `${p.name} (prog id ${p.id}${p.audit ? `, "type=BPF ${p.audit.text}" in ${eventOf(p.audit)}` : ''})`);
        s.push(
          `Inside BPF_PROG_TEST_RUN (#${f.testRun.sys})${hash ? ` ${hash}, so` : ''} the loader went on: it made ${madeCalls(f)}` +
            `${f.innerMaps.length ? `, creating ${plural(f.innerMaps.length, 'map')} (${f.innerMaps.map((m) => m.name).join(', ')})` : ''}` +
            `${progs.length ? ` and ${progs.length === 1 ? 'the program' : 'the programs'} ${progs.join(', ')}` : ''}${hooks}, and returned ${f.loaderRetval}; ${resultSentence(f)}.`,
        );
      }
      break;
    }
    case 'false-positive':
    case 'loader-failed': {
      s.push(loadSentence(f), auditSentence(f));
      const tr = f.testRun!;
      const hash = hashSentence(f);
      const mismatch = !!hash && f.mapSha !== f.embeddedHash;
      s.push(
        `Only afterwards, in the separate BPF_PROG_TEST_RUN syscall (#${tr.sys}), did the loader run: ` +
          (hash ? `${hash}${mismatch ? '; they differ, so' : ';'} ` : '') +
          `it returned ${f.loaderRetval}${tr.insnsRun !== null ? ` after ${tr.insnsRun} instructions` : ''} ${innerSentence(f)}, and ${resultSentence(f)}.`,
      );
      if (pattern === 'false-positive') {
        const unload = f.loaderUnloadAudit;
        const closedLoaderFd = unload?.syscall === '3' && unload.a0 !== null && parseInt(unload.a0, 16) === f.progLoad!.ret;
        const unloadText = unload
          ? closedLoaderFd
            ? ` (and "${unload.text}" in event ${unload.serial}, the close(${f.progLoad!.ret}) with which bpf_load_and_run dropped the loader's fd)`
            : ` (and "${unload.text}" in ${eventOf(unload)})`
          : '';
        s.push(
          `What the skeleton was meant to create does not exist, yet the audit log holds the loader's "${f.loaderLoadAudit!.text}"${unloadText}` +
            ' and no record that the signed skeleton then failed its own integrity check: a signed load that audit and the LSM saw succeed, and that did not (AUD-FP-1, KP-META-2).',
        );
      }
      break;
    }
    case 'load-refused': {
      const pl = f.progLoad!;
      s.push(loadSentence(f));
      const stage = f.failedCall?.sys === pl.sys && f.failedCall.stage ? ` at ${f.failedCall.stage.id} ${f.failedCall.stage.name}` : '';
      s.push(`BPF_PROG_LOAD failed with ${errStr(pl.ret, pl.errno)}${stage}.`, auditSentence(f), `The loader never ran; ${resultSentence(f)}.`);
      break;
    }
    case 'run-failed': {
      const tr = f.testRun!;
      s.push(loadSentence(f), auditSentence(f), `BPF_PROG_TEST_RUN (#${tr.sys}) itself failed with ${errStr(tr.ret, tr.errno)}; ${resultSentence(f)}.`);
      break;
    }
    case 'kernel-oops': {
      const o = f.oops!;
      const call = f.outerCalls.find((c) => c.sys === o.sys);
      s.push(
        `The kernel oopsed inside ${call ? `${call.cmd} (#${call.sys})` : `syscall #${o.sys}`}, bpf_load_and_run's ${o.step} step: ${o.text} in ${o.where} (${o.detail}, ${o.rule}).`,
        'The task was killed there: the syscall never returned, no errno exists, bpf_load_and_run never returned, and audit logged that syscall without success= or exit=.',
      );
      break;
    }
    case 'setup-failed': {
      const c = f.failedCall;
      s.push(
        c
          ? `bpf_load_and_run stopped before loading the loader: ${c.cmd} (#${c.sys}) failed with ${errStr(c.ret, c.errno)}${c.stage ? ` at ${c.stage.id} ${c.stage.name}${c.stage.detail ? ` (${c.stage.detail})` : ''}` : ''}; ${resultSentence(f)}.`
          : `bpf_load_and_run stopped before loading the loader; ${resultSentence(f)}.`,
      );
      break;
    }
  }
  return { pattern, text: s.join(' ') };
}

/**
 * One sentence on a run that loaded, to set against a failed one: what the loader found and made.
 * Empty when the run did not load.
 */
export function contrastSentence(f: SkelFacts, label: string): string {
  if (classify(f) !== 'loaded' || !f.testRun) return '';
  const hash = f.mapSha && f.embeddedHash ? (f.mapSha === f.embeddedHash ? 'map->sha equalled the embedded hash and ' : `map->sha (${short(f.mapSha)}) differed from the embedded hash, yet `) : '';
  const progs = f.innerProgs.map((p) => `${p.name} (prog id ${p.id}${p.audit ? `, its LOAD record in ${eventOf(p.audit)}` : ''})`);
  return `With the blob as signed (${label}), ${hash}the loader made ${madeCalls(f)}${progs.length ? `, creating ${progs.join(', ')}` : ''}, and the skeleton loaded.`;
}
