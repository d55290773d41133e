// The cases of `bpfsig compare`: one skeleton made per scheme with its own toolchain and key, then
// loaded as signed, with one byte changed in each blob, with the wrong or no key, a bad keyring,
// unsigned, and with the harness departures the debate discussed. The ids are fixed (they are keys
// of the bpfsig-compare/1 JSON). spec: SEQ-2, SEQ-3, CLAIM-2, CLAIM-3, CLAIM-7, CLAIM-8, CLAIM-13,
// CLAIM-20, CLAIM-21, CLAIM-22, KP-META-2..5, OBS-DEB-10..20.

import type { LightSkeleton } from '../../loader/lskel-reader.js';
import type { RunSkeletonOptions, Tamper } from '../skel-run.js';

/** What a case is given: the skeleton as the scheme's toolchain made it, and its variants. */
export interface CaseInputs {
  /** Signed with the scheme's key (unsigned when the toolchain cannot sign). */
  readonly signed: LightSkeleton;
  /** The same object through the same toolchain, unsigned. */
  readonly unsigned: LightSkeleton;
  /** Signed with a key whose certificate is not the one placed in the keyring. */
  readonly otherKey: LightSkeleton;
  /** The scheme key's certificate (DER). */
  readonly certDer: Uint8Array;
  /** Offset in the data blob of a byte that changes what the loaded program does (see compare.ts). */
  readonly dataOffset: number;
}

/** One way to load the skeleton. */
export interface CaseRun {
  readonly skel: LightSkeleton;
  readonly options: RunSkeletonOptions;
}

export interface CaseDef {
  readonly id: string;
  readonly title: string;
  readonly spec: readonly string[];
  /** Does the case need a signature to mean anything (skipped for a toolchain that cannot sign)? */
  readonly needsSignature: boolean;
  /** Does it change a byte the signature covers, directly or through the metadata hash? */
  readonly tampers?: boolean;
  build(i: CaseInputs): CaseRun;
}

const session = (i: CaseInputs): RunSkeletonOptions => ({ certDer: i.certDer, keyring: 'session' });
const flip = (blob: Tamper['blob'], offset: number): readonly Tamper[] => [{ blob, offset }];

/**
 * An instruction byte of the loader that keeps it well formed: the low byte of the first
 * instruction's immediate (the prologue's `r6 = r1` has none, so the first instruction with an
 * immediate); the signature then covers different bytes.
 */
export function insnTamperOffset(insns: Uint8Array): number {
  for (let k = 0; k * 8 < insns.length; k++) {
    const dv = new DataView(insns.buffer, insns.byteOffset + 8 * k, 8);
    if (dv.getInt32(4, true) !== 0) return 8 * k + 4;
  }
  return 4;
}

export const CASES: readonly CaseDef[] = [
  { id: 'intact', title: 'the skeleton as signed, certificate in the session keyring', spec: ['SEQ-1', 'OBS-DEB-10'], needsSignature: false, build: (i) => ({ skel: i.signed, options: session(i) }) },
  {
    id: 'data-byte',
    tampers: true,
    title: 'one byte of the metadata blob changed after signing',
    spec: ['SEQ-2', 'CLAIM-2', 'CLAIM-3', 'CLAIM-20', 'CLAIM-21', 'KP-META-2', 'OBS-DEB-15'],
    needsSignature: true,
    build: (i) => ({ skel: i.signed, options: { ...session(i), tampers: flip('data', i.dataOffset) } }),
  },
  {
    id: 'insn-byte',
    tampers: true,
    title: "one byte of the loader's instructions changed after signing",
    spec: ['SEQ-3', 'OBS-DEB-17'],
    needsSignature: true,
    build: (i) => ({ skel: i.signed, options: { ...session(i), tampers: flip('insns', insnTamperOffset(i.signed.insns)) } }),
  },
  {
    id: 'sig-byte',
    tampers: true,
    title: 'the last byte of the signature changed',
    spec: ['OBS-DEB-18', 'KP-ERR-10'],
    needsSignature: true,
    build: (i) => ({ skel: i.signed, options: { ...session(i), tampers: flip('sig', (i.signed.signature?.length ?? 1) - 1) } }),
  },
  {
    id: 'wrong-key',
    title: 'signed with another key; the scheme key\'s certificate is in the keyring',
    spec: ['KP-ERR-9', 'CLAIM-8'],
    needsSignature: true,
    build: (i) => ({ skel: i.otherKey, options: session(i) }),
  },
  { id: 'no-key', title: 'no certificate added (keyring_id -3, empty session keyring)', spec: ['OBS-DEB-11', 'KP-ERR-9'], needsSignature: true, build: (i) => ({ skel: i.signed, options: { keyring: -3 } }) },
  { id: 'bad-keyring', title: 'keyring_id 12345 (no such keyring)', spec: ['OBS-DEB-12', 'KP-ERR-2'], needsSignature: true, build: (i) => ({ skel: i.signed, options: { keyring: 12345 } }) },
  { id: 'unsigned', title: 'the same object without -S', spec: ['OBS-DEB-14', 'CLAIM-13', 'HN-ERR-2'], needsSignature: false, build: (i) => ({ skel: i.unsigned, options: session(i) }) },
  {
    id: 'stale-hash',
    tampers: true,
    title: 'hash taken while the map is unfrozen, then the blob changed and frozen (KP-META-4)',
    spec: ['KP-META-4', 'CLAIM-7', 'STB-2', 'STB-7'],
    needsSignature: true,
    build: (i) => ({ skel: i.signed, options: { ...session(i), tampers: flip('data', i.dataOffset), staleHash: true } }),
  },
  { id: 'no-freeze', title: 'the metadata map is never frozen', spec: ['STB-2', 'LT-ERR-4', 'HN-CHK-9'], needsSignature: true, build: (i) => ({ skel: i.signed, options: { ...session(i), skipFreeze: true } }) },
  {
    id: 'map-swap',
    title: "a second thread swaps a frozen, tampered copy of the metadata map into the loader's fd_array slot (dup2) right after admission",
    spec: ['CLAIM-19', 'CLAIM-21', 'HN-MAP-4', 'HN-MAP-1', 'HC-NOT-3', 'LT-LOAD-3'],
    needsSignature: true,
    tampers: true,
    build: (i) => ({ skel: i.signed, options: { ...session(i), race: { op: { op: 'swap-slot', content: 'tampered' }, at: { afterRole: 'admission' }, dataOffset: i.dataOffset } } }),
  },
  { id: 'no-excl', title: 'the metadata map is created without excl_prog_hash', spec: ['KP-META-5', 'CLAIM-22', 'LT-ERR-20', 'OBS-DEB-20'], needsSignature: true, build: (i) => ({ skel: i.signed, options: { ...session(i), noExclHash: true } }) },
];

export const CASE_IDS: readonly string[] = CASES.map((c) => c.id);
