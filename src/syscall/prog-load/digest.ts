// bpf_prog_calc_tag: the program digest. spec: DIG-1 (SHA-256 since 6.18; the tag is its first 8
// bytes), DIG-2 (ld_imm64 immediates of BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE are zeroed, and the
// second slot's imm when that slot is otherwise all zero — our choice for the UNCONFIRMED detail,
// following the kernel source as we read it), DIG-3 (MAP_IDX forms are not zeroed), V617-4 (SHA-1
// before 6.18), OBS-EXCL-4, OBS-EXCL-5.

import { createHash } from 'node:crypto';
import { Pseudo } from '../uapi/consts.js';

const LD_IMM64 = 0x18;

/** The instructions as the digest sees them (a copy with map fd immediates zeroed). */
export function digestInput(insns: Uint8Array): Uint8Array {
  const dst = insns.slice();
  const dv = new DataView(dst.buffer);
  let wasLdMap = false;
  for (let off = 0; off + 8 <= dst.length; off += 8) {
    const code = dst[off]!;
    const src = dst[off + 1]! >> 4;
    const dstReg = dst[off + 1]! & 0xf;
    if (!wasLdMap && code === LD_IMM64 && (src === Pseudo.BPF_PSEUDO_MAP_FD || src === Pseudo.BPF_PSEUDO_MAP_VALUE)) {
      wasLdMap = true;
      dv.setInt32(off + 4, 0, true);
    } else if (wasLdMap && code === 0 && dstReg === 0 && src === 0 && dv.getInt16(off + 2, true) === 0) {
      wasLdMap = false;
      dv.setInt32(off + 4, 0, true);
    } else {
      wasLdMap = false;
    }
  }
  return dst;
}

/** The digest for a profile's algorithm: 32 bytes of SHA-256 (v6.18+) or 20 of SHA-1 (v6.17). */
export function bpfProgCalcDigest(insns: Uint8Array, algo: 'sha256' | 'sha1'): Uint8Array {
  return new Uint8Array(createHash(algo).update(digestInput(insns)).digest());
}
