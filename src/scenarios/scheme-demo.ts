// The scheme demo (`bpfsig demo`): from the embedded example object to the v6.18 false positive.
// A signing key and certificate are made on the spot, bpftool 7.7's signed light skeleton is
// generated from examples/bpf/hello.bpf.o and signed with them, written as a header and read back,
// then loaded twice on a fresh v6.18 kernel with the certificate in the session keyring: as signed,
// and with one byte of its data blob changed. Every statement the demo makes about the runs comes
// from skel-facts / explain-skel, i.e. from the runs themselves.
// spec: KP-META-1/2, AUD-FP-1, KP-LSM-3, KP-AUD-1/2, TC-BT77-3/4/5, LSK-BLOB-1, LSK-PROG-6.

import { AuditSeries } from '../audit/series.js';
import { InputError } from '../errors.js';
import { makeSigningIdentity, type SigningIdentity } from '../keys/make-cert.js';
import { DEFAULT_EXAMPLE, exampleObjectPath, readExampleObject, type ExampleObjectName } from '../loader/examples.js';
import { decodeInsns } from '../loader/insn.js';
import type { LightSkeleton } from '../loader/lskel-reader.js';
import { defaultToolchainFor, defaultToolchainName } from '../schemes/registry.js';
import type { SyscallEnter } from '../syscall/trace.js';
import { contrastSentence, explainRun, type SkelPattern } from './explain-skel.js';
import { makeSkeleton, openObjectBytes } from './make-skeleton.js';
import { skelFacts, type SkelFacts } from './skel-facts.js';
import { runSkeleton, type SkelRun } from './skel-run.js';

export const DEMO_CN = 'bpfsig demo signing key';
/** The add_key description (bpftool uses the certificate path; the selftests a fixed name). */
export const DEMO_KEY_DESCRIPTION = 'bpfsig demo';

export interface SchemeDemoOptions {
  /** Kernel profile (default v6.18). */
  readonly profile?: string;
  /** Byte of the data blob to change in run 2; default: chosen from run 1 (see tamperTarget). */
  readonly dataOffset?: number;
  readonly object?: ExampleObjectName;
  /** Use this identity instead of making one. */
  readonly identity?: SigningIdentity;
  /** The audit series both runs join (default: a new one): run 2's serials and stamps follow run 1's. */
  readonly audit?: AuditSeries;
}

export interface DemoTamper {
  readonly offset: number;
  readonly before: number;
  readonly after: number;
  /** What the byte is, as far as run 1 showed. */
  readonly what: string;
}

export interface DemoRun {
  readonly label: string;
  readonly run: SkelRun;
  readonly facts: SkelFacts;
  readonly pattern: SkelPattern;
  readonly account: string;
}

export interface SchemeDemo {
  readonly objectPath: string;
  readonly objectName: string;
  readonly skeleton: LightSkeleton;
  /** The generated header (what `bpfsig gen skeleton -S` prints). */
  readonly header: string;
  readonly identity: SigningIdentity;
  readonly tamper: DemoTamper;
  readonly runs: readonly [DemoRun, DemoRun];
  /** True when run 1 loaded and run 2 showed the false positive. */
  readonly falsePositive: boolean;
  /** The closing paragraph: what happened in run 2, or what the runs showed instead. */
  readonly conclusion: string;
}

/**
 * Where the demo changes the blob: an instruction of the first program the loader loaded in run 1.
 * Its BPF_PROG_LOAD attr points into the metadata map's value: `fd_array` at the blob's start
 * (LSK-BLOB-1, LSK-PROG-6) and `insns` at the program's instructions, so their difference is the
 * instructions' offset in the blob. The byte chosen is the immediate of the last `r0 = 0` (the
 * program's return value), so the change is one a reviewer would care about.
 */
export function tamperTarget(run: SkelRun, data: Uint8Array): { offset: number; what: string } | undefined {
  const load = run.kernel.trace.events.find((e): e is SyscallEnter => e.kind === 'syscall' && e.kernel && e.cmd === 'BPF_PROG_LOAD');
  if (!load?.attr) return undefined;
  const { insns, fd_array: fdArray, insn_cnt: cnt, prog_name: name } = load.attr;
  if (typeof insns !== 'string' || typeof fdArray !== 'string' || typeof cnt !== 'number') return undefined;
  const base = Number(BigInt(insns) - BigInt(fdArray));
  if (!Number.isSafeInteger(base) || base < 0 || base + 8 * cnt > data.length) return undefined;
  const prog = decodeInsns(data.subarray(base, base + 8 * cnt));
  for (let k = prog.length - 1; k >= 0; k--) {
    const i = prog[k]!;
    if (i.code === 0xb7 && i.dst === 0 && i.imm === 0) {
      return {
        offset: base + 8 * k + 4,
        what: `the low byte of the immediate of instruction ${k} of ${String(name)} ("r0 = 0", its return value), inside the program the loader loads: the blob holds it at offset ${base}`,
      };
    }
  }
  return { offset: base, what: `the first byte of ${String(name)}'s first instruction, inside the program the loader loads` };
}

export function runSchemeDemo(opts: SchemeDemoOptions = {}): SchemeDemo {
  const example = opts.object ?? DEFAULT_EXAMPLE;
  const bytes = readExampleObject(example);
  const objectPath = exampleObjectPath(example);
  if (!bytes) throw new InputError(`the example object ${objectPath} is not installed (the package's examples/bpf/ folder is missing)`);
  const obj = openObjectBytes(bytes, objectPath);
  const identity = opts.identity ?? makeSigningIdentity({ cn: DEMO_CN });
  // The toolchain of the profile's scheme (bpftool 7.7 for KP's kernels, gen_sig's for Hornet's, …).
  const toolchain = (opts.profile ? defaultToolchainFor(opts.profile) : undefined) ?? defaultToolchainName();
  const { header, skeleton } = makeSkeleton(obj, { toolchain, identity, name: obj.name });

  // The profile's scheme's default LSM stack: a "signed only" policy and signature-audit on v6.18,
  // so the timeline shows LSMs that decided, and the audit log what they believed (AUD-FP-2).
  const setup = {
    certDer: identity.certDer,
    keyring: 'session' as const,
    keyDescription: DEMO_KEY_DESCRIPTION,
    comm: 'demo_loader',
    lsm: 'default' as const,
    audit: opts.audit ?? new AuditSeries(),
    ...(opts.profile ? { profile: opts.profile } : {}),
  };
  const run1 = runSkeleton(skeleton, setup);

  let target: { offset: number; what: string };
  if (opts.dataOffset !== undefined) target = { offset: opts.dataOffset, what: 'the byte given with --data-offset' };
  else
    target = tamperTarget(run1, skeleton.data) ?? {
      offset: Math.floor(skeleton.data.length / 2),
      what: 'the middle byte of the blob (run 1 loaded no program whose instructions could be located)',
    };
  const run2 = runSkeleton(skeleton, { ...setup, tampers: [{ blob: 'data', offset: target.offset }] });
  const applied = run2.tampers[0]!;

  const demoRun = (label: string, run: SkelRun): DemoRun => {
    const facts = skelFacts(run);
    const { pattern, text } = explainRun(facts);
    return { label, run, facts, pattern, account: text };
  };
  const runs = [demoRun('run 1: the skeleton as signed', run1), demoRun('run 2: one byte of the data blob changed', run2)] as const;
  const falsePositive = runs[0].pattern === 'loaded' && runs[1].pattern === 'false-positive';
  const conclusion = falsePositive
    ? `In run 2, ${runs[1].account} ${contrastSentence(runs[0].facts, 'run 1')}`
    : `These runs do not show the false positive this demo is about (expected: run 1 loads, run 2 passes the signature check, the LSM and audit, then fails inside the loader). ` +
      `Run 1 (${runs[0].pattern}): ${runs[0].account} Run 2 (${runs[1].pattern}): ${runs[1].account}`;
  return {
    objectPath,
    objectName: obj.name,
    skeleton,
    header,
    identity,
    tamper: { offset: applied.offset, before: applied.before, after: applied.after, what: target.what },
    runs,
    falsePositive,
    conclusion,
  };
}
