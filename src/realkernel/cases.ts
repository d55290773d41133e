// The differential cases of spec 10, as plans: the light-skeleton cases (OBS-DEB-10..20) for every
// shared fixture object and toolchain, and the raw BPF_PROG_LOAD attrs with signatures
// (OBS-DEB-40..51). The same plans run on the real Debian kernels (runOnRealKernel) and, through
// their captured transcripts, on the emulator (test/realkernel/).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLightSkeleton, type LightSkeleton } from '../loader/lskel-reader.js';
import { sharedPath } from '../shared-dir.js';
import type { Json } from '../scenarios/transcript.js';
import { applyTampers } from '../scenarios/skel-run.js';
import type { Plan, PlanStep } from './request.js';
import { skelLoadPlan, type KnownFile } from './skel.js';

export const FIXTURE_OBJECTS = ['minimal', 'multi', 'kfunc', 'lsm_deny_unsigned'] as const;
/** Toolchains of the shared fixtures: bpftool 7.1 -L (libbpf 1.1), 7.7 -L and 7.7 -S (libbpf 1.7). */
export const TOOLCHAINS = ['v71', 'v77', 'v77-signed'] as const;
export type Toolchain = (typeof TOOLCHAINS)[number];

const CERT = 'keys/signing-rsa2048/cert.der';

function fixtures(): string {
  const p = sharedPath('fixtures');
  if (!p) throw new Error('shared fixtures not found (set BPFSIG_SHARED)');
  return p;
}

function known(root: string, rel: string): KnownFile | undefined {
  const p = join(root, rel);
  return existsSync(p) ? { file: rel, bytes: new Uint8Array(readFileSync(p)) } : undefined;
}

interface SkelVariant {
  /** Step-id prefix (the run). */
  readonly name: string;
  /** Spec rows it reproduces. */
  readonly rules: string;
  readonly skel: (s: LightSkeleton) => LightSkeleton;
  /** Where the certificate goes (a KEY_SPEC name) and which keyring_id the skeleton passes. */
  readonly cert?: 'KEY_SPEC_SESSION_KEYRING' | 'KEY_SPEC_USER_KEYRING';
  readonly keyringId: number;
}

const same = (s: LightSkeleton) => s;
const tamper = (blob: 'data' | 'insns' | 'sig', at: (s: LightSkeleton) => number) => (s: LightSkeleton) => applyTampers(s, [{ blob, offset: at(s) }]).skel;

/** OBS-DEB-10..20 for a signed skeleton. */
const SIGNED_VARIANTS: readonly SkelVariant[] = [
  { name: 'good_session', rules: 'OBS-DEB-10', skel: same, cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'keyring_0', rules: 'OBS-DEB-11', skel: same, keyringId: 0 },
  { name: 'no_cert_session', rules: 'OBS-DEB-11', skel: same, keyringId: -3 },
  { name: 'keyring_12345', rules: 'OBS-DEB-12', skel: same, cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: 12345 },
  { name: 'user_keyring', rules: 'OBS-DEB-13', skel: same, cert: 'KEY_SPEC_USER_KEYRING', keyringId: -4 },
  { name: 'sig_removed', rules: 'OBS-DEB-14', skel: (s) => ({ ...s, signature: undefined }) as LightSkeleton, cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'data_100', rules: 'OBS-DEB-15', skel: tamper('data', () => 100), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'data_0', rules: 'OBS-DEB-16', skel: tamper('data', () => 0), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'insn_4', rules: 'OBS-DEB-17', skel: tamper('insns', () => 4), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'sig_last', rules: 'OBS-DEB-18', skel: tamper('sig', (s) => s.signature!.length - 1), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'sig_junk', rules: 'OBS-DEB-18', skel: (s) => ({ ...s, signature: new Uint8Array(64).fill(0x5a) }), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'sig_truncated', rules: 'OBS-DEB-18', skel: (s) => ({ ...s, signature: s.signature!.slice(0, s.signature!.length >> 1) }), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  { name: 'sig_40', rules: 'OBS-DEB-19', skel: tamper('sig', () => 40), cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
  {
    name: 'excl_flipped',
    rules: 'OBS-DEB-20',
    skel: (s) => {
      const h = s.exclHash!.slice();
      h[0]! ^= 1;
      return { ...s, exclHash: h };
    },
    cert: 'KEY_SPEC_SESSION_KEYRING',
    keyringId: -3,
  },
  { name: 'no_excl', rules: 'OBS-DEB-20', skel: (s) => ({ ...s, exclHash: undefined }) as LightSkeleton, cert: 'KEY_SPEC_SESSION_KEYRING', keyringId: -3 },
];

const UNSIGNED_VARIANTS: readonly SkelVariant[] = [{ name: 'load', rules: 'OBS-LSK-1', skel: same, keyringId: 0 }];

export interface CasePlan {
  /** File name of its transcript (`<name>.json`). */
  readonly name: string;
  readonly rules: string;
  readonly plan: Plan;
}

/** One plan per fixture object and toolchain: every variant as its own run (fresh process). */
export function skeletonPlans(objects: readonly string[] = FIXTURE_OBJECTS, toolchains: readonly Toolchain[] = TOOLCHAINS): CasePlan[] {
  const root = fixtures();
  const cert = known(root, CERT)!;
  const out: CasePlan[] = [];
  for (const obj of objects) {
    for (const tc of toolchains) {
      const header = join(root, 'bpf', obj, `${obj}.${tc}.lskel.h`);
      if (!existsSync(header)) continue;
      const skel = readLightSkeleton(readFileSync(header, 'latin1'), header);
      const files = ['insns.bin', 'data.bin', 'excl_hash.bin', 'sig.der'].map((f) => known(root, `bpf/${obj}/${obj}.${tc}.${f}`)).filter((k): k is KnownFile => !!k);
      const variants = tc === 'v77-signed' ? SIGNED_VARIANTS : UNSIGNED_VARIANTS;
      const steps: PlanStep[] = [];
      const rules = new Set<string>();
      for (const v of variants) {
        rules.add(v.rules);
        const p = skelLoadPlan(v.skel(skel), {
          keyringId: v.keyringId,
          run: v.name,
          knownFiles: files,
          ...(v.cert ? { addKey: { der: cert.bytes, keyring: v.cert, description: 'bpfsig-signing-rsa2048', file: cert } } : {}),
        });
        steps.push(...p.steps);
      }
      out.push({
        name: `skel_${obj}_${tc}`,
        rules: [...rules].join(' '),
        plan: {
          format: 'bpfsig-transcript/1',
          root: 'shared/fixtures',
          case: `skel_${obj}_${tc}`,
          description: `Light skeleton ${obj} (${tc}) loaded as its <name>__open() + <name>__load() would, under each setup of spec 10 (${[...rules].join(', ')})`,
          notes: ['The steps are recorded from bpfsig\'s skeleton runtime (src/realkernel/skel.ts); each run is a fresh process with a fresh session keyring.'],
          steps,
        },
      });
    }
  }
  return out;
}

// ---- raw PROG_LOAD attrs (OBS-DEB-40..51) ------------------------------------------------------

const R0_EXIT = 'b700000000000000' + '9500000000000000';
const JUNK_SIG: Json = { buf_len: 64, fill: '5a' };

function load(id: string, attr: Record<string, Json>, extra: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    cmd: 'BPF_PROG_LOAD',
    attr_size: 168,
    attr: { prog_type: 1, insn_cnt: 2, insns: { buf: R0_EXIT }, license: { str: 'GPL' }, ...attr },
    record: ['klog'],
    ...extra,
  } as PlanStep;
}

const closeIfOk = (id: string, of: string): PlanStep => ({ id, cmd: 'close', fd: { fd: of }, after_ok: of }) as PlanStep;

/** The raw-attr cases, one run per spec row. */
export function rawPlan(): CasePlan {
  const steps: PlanStep[] = [];
  const sig = (keyring: Json, more: Record<string, Json> = {}) => ({ signature: JUNK_SIG, signature_size: 64, keyring_id: keyring, ...more });
  // OBS-DEB-40
  for (const k of [0, 1, 2, -3, -4]) steps.push(load(`deb40/keyring_${k}`, sig(k)));
  steps.push({ id: 'deb40/empty_ring', cmd: 'add_key', type: 'keyring', description: 'bpfsig-empty', payload: null, keyring: 'KEY_SPEC_SESSION_KEYRING' } as PlanStep);
  steps.push(load('deb40/keyring_empty', sig({ key: 'deb40/empty_ring' })));
  // OBS-DEB-41
  for (const k of [3, 12345]) steps.push(load(`deb41/keyring_${k}`, sig(k)));
  // OBS-DEB-42, 43, 44
  steps.push(load('deb42/junk_ptr_size0', { signature: { buf: '5a5a5a5a' }, signature_size: 0, keyring_id: 0 }));
  steps.push(load('deb43/fault_ptr', { signature: { fault: true }, signature_size: 64, keyring_id: 0 }));
  steps.push(load('deb44/attr160', { signature: JUNK_SIG }, { attr_size: 160 }));
  // OBS-DEB-45
  for (const n of [8192, 8193, 1 << 20]) steps.push(load(`deb45/size_${n}`, { signature: { buf_len: n, fill: '5a' }, signature_size: n, keyring_id: 0 }));
  // OBS-DEB-46: a program the verifier refuses (exit with r0 unset)
  steps.push(load('deb46/verifier_rejects', { insn_cnt: 1, insns: { buf: '9500000000000000' }, ...sig(0) }));
  // OBS-DEB-47
  steps.push(load('deb47/bad_type', { prog_type: 0x7fff, ...sig(0) }));
  steps.push(load('deb47/bad_type_unsigned', { prog_type: 0x7fff }));
  // OBS-DEB-48
  steps.push(load('deb48/insn_cnt_0', { insn_cnt: 0, ...sig(0) }));
  steps.push(load('deb48/unknown_flag', { prog_flags: 1 << 30, ...sig(0) }));
  // OBS-DEB-49: BPF_F_SLEEPABLE on a socket filter
  steps.push(load('deb49/sleepable_signed', { prog_flags: 16, ...sig(0) }));
  steps.push(load('deb49/sleepable_unsigned', { prog_flags: 16 }));
  // OBS-DEB-50: an exclusive map, used through fd_array (BPF_PSEUDO_MAP_IDX 0)
  const mapProg = '1851000000000000' + '0000000000000000' + R0_EXIT;
  const digest = createHash('sha256').update(Buffer.from(mapProg, 'hex')).digest('hex');
  for (const [name, hash] of [
    ['mismatch', '11'.repeat(32)],
    ['match', digest],
  ] as const) {
    steps.push({
      id: `deb50_${name}/map`,
      cmd: 'BPF_MAP_CREATE',
      attr_size: 92,
      attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1, map_name: 'deb50', excl_prog_hash: { buf: hash }, excl_prog_hash_size: 32 },
      record: ['klog'],
    } as PlanStep);
    steps.push(
      load(`deb50_${name}/load`, { insn_cnt: 4, insns: { buf: mapProg }, fd_array: { fd_array: [`deb50_${name}/map`] }, ...sig(0) }, { after_ok: true }),
    );
  }
  // OBS-DEB-51: attr 176 with a non-zero byte at 170
  const hex = new Uint8Array(176);
  hex[0] = 1;
  hex[4] = 2;
  hex[170] = 1;
  steps.push({
    id: 'deb51/tail_170',
    cmd: 'BPF_PROG_LOAD',
    attr_size: 176,
    attr_hex: Buffer.from(hex).toString('hex'),
    patch: [
      { offset: 8, buf: R0_EXIT },
      { offset: 16, str: 'GPL' },
    ],
    record: ['klog'],
  } as PlanStep);
  // A plain load for the baseline (and its audit records)
  steps.push(load('base/unsigned', {}));
  steps.push(closeIfOk('base/close', 'base/unsigned'));
  return {
    name: 'raw_prog_load',
    rules: 'OBS-DEB-40 OBS-DEB-41 OBS-DEB-42 OBS-DEB-43 OBS-DEB-44 OBS-DEB-45 OBS-DEB-46 OBS-DEB-47 OBS-DEB-48 OBS-DEB-49 OBS-DEB-50 OBS-DEB-51 OBS-DEB-61',
    plan: {
      format: 'bpfsig-transcript/1',
      case: 'raw_prog_load',
      description: 'BPF_PROG_LOAD attrs with signatures: the raw cases of spec 10 (OBS-DEB-40..51); base program r0 = 0; exit (SOCKET_FILTER), junk signature 64 × 0x5a',
      steps,
    },
  };
}

/** Every plan of the differential suite. */
export function differentialPlans(): CasePlan[] {
  return [...skeletonPlans(), rawPlan()];
}
