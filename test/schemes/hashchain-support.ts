// Shared setup for the hash-chain tests: a kernel with the signing certificate in the caller's
// session keyring, a signer, the chain computed independently of the emulator (HC-SIG-1..3), and a
// BPF_PROG_LOAD that carries signature_maps.

import { createHash } from 'node:crypto';
import { signPkcs7 } from '../../src/keys/sign.js';
import type { BpfClient } from '../../src/loader/bpf.js';
import type { FieldValue } from '../../src/syscall/uapi/layout.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { makeCert } from '../keys/support/certs.js';
import { setup } from '../support/kernel.js';

export const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;
/** r0 = 0; exit */
export const RET0 = encodeInsns([insn(0xb7), insn(0x95)]);
/** r1 = map at fd_array[0] (ld_imm64 BPF_PSEUDO_MAP_IDX); r0 = 0; exit — the program binds fd_array[0] in bpf_check. */
export const USES_MAP_IDX0 = encodeInsns([insn(0x18, 1, 5, 0, 0), insn(0), insn(0xb7), insn(0x95)]);
/** Uses fd_array[0] and fd_array[1]. */
export const USES_MAP_IDX01 = encodeInsns([insn(0x18, 1, 5, 0, 0), insn(0), insn(0x18, 2, 5, 0, 1), insn(0), insn(0xb7), insn(0x95)]);

export const cert = makeCert({ cn: 'bpfsig hash-chain test' });
export const otherCert = makeCert({ cn: 'bpfsig hash-chain other signer', keySlot: 1 });
export const sign = (content: Uint8Array, c = cert): Uint8Array => signPkcs7(content, { key: c.key.privateKey, cert: c.der });

export const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/**
 * f for instructions and the value areas of the maps named by signature_maps, in that order:
 * h_{k-1} = H(M_{k-1}), h_n = SHA256(h_{n+1} ‖ H(M_n)), f = SHA256(SHA256(insns) ‖ h_0). spec: HC-SIG-1..3
 */
export function chainDigest(insns: Uint8Array, valueAreas: readonly Uint8Array[]): Uint8Array {
  let h: Uint8Array | undefined;
  for (let n = valueAreas.length - 1; n >= 0; n--) h = h === undefined ? sha256(valueAreas[n]!) : sha256(h, sha256(valueAreas[n]!));
  return sha256(sha256(insns), h!);
}

/** The value area of an ARRAY map as array_map_get_hash hashes it: elem_size (value_size rounded to 8) × max_entries. */
export function arrayArea(valueSize: number, maxEntries: number, values: Record<number, Uint8Array> = {}): Uint8Array {
  const elem = Math.ceil(valueSize / 8) * 8;
  const out = new Uint8Array(elem * maxEntries);
  for (const [i, v] of Object.entries(values)) out.set(v, Number(i) * elem);
  return out;
}

/** A kernel of `profile` with `cert` in the caller's session keyring (keyring_id -3). */
export function env(profile = 'hashchain-v2', opts: Parameters<typeof setup>[1] = {}) {
  const e = setup(profile, opts);
  const key = e.p.addKey('asymmetric', 'hash-chain test', cert.der, -3);
  if (key.ret < 0) throw new Error(`add_key failed: ${key.errno}`);
  return e;
}

export interface HcLoad {
  readonly insns?: Uint8Array;
  readonly fdArray?: readonly number[];
  /** signature_maps entries (fd_array indexes); placed in user memory. */
  readonly maps?: readonly number[];
  /** signature_maps pointer as is (overrides `maps`' buffer). */
  readonly mapsPtr?: bigint;
  /** signature_maps_size (default maps.length). */
  readonly count?: number;
  readonly signature?: Uint8Array;
  readonly keyringId?: number;
  readonly extra?: Record<string, FieldValue>;
  readonly attrSize?: number;
  readonly progType?: number;
}

/** BPF_PROG_LOAD with the hash-chain fields. */
export function hcLoad(c: BpfClient, o: HcLoad) {
  const mapsPtr = o.mapsPtr ?? (o.maps && o.maps.length ? c.buf(new Uint8Array(new Int32Array(o.maps).buffer), 'signature_maps') : 0n);
  return c.progLoad({
    progType: o.progType ?? SOCKET_FILTER,
    insns: o.insns ?? RET0,
    ...(o.fdArray ? { fdArray: o.fdArray } : {}),
    ...(o.signature ? { signature: o.signature } : {}),
    keyringId: o.keyringId ?? -3,
    extra: { signature_maps: mapsPtr, signature_maps_size: o.count ?? o.maps?.length ?? 0, ...(o.extra ?? {}) },
    ...(o.attrSize !== undefined ? { attrSize: o.attrSize } : {}),
  });
}
