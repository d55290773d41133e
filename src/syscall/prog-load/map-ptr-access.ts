// check_ptr_to_map_access → btf_struct_access over `struct bpf_map` in the kernel's BTF: which
// loads through a CONST_PTR_TO_MAP register the verifier accepts. bpfsig models the member walk's
// two refusals a signed loader can meet: a read that lands inside a pointer member without being
// exactly that pointer (the 2026-06 hardened loader's `u32` read at offset 32, which is `ops` on a
// kernel without `struct bpf_map.excl`: OBS-DEB-32 on 6.18.15, MHASH-9, LSK-SIGM-8), and a read past
// the struct. Scalars and arrays of scalars (`sha[32]`, `excl`) are readable at any offset inside.
// spec: CAP-4 (checked first, by the caller), OBS-DEB-32, MHASH-8/9.

import { BtfKind, member, type Btf } from '../../btf/btf.js';
import { kernelBtfFindByNameKind } from '../kernel-btf/btf-find.js';
import { resolveSize, skipModsAndTypedefs } from '../kernel-btf/relo-core.js';

/** The verifier's message for a refused `struct bpf_map` read, or null when the read is allowed. */
export function bpfMapPtrAccess(btf: Btf, off: number, size: number): string | null {
  const id = kernelBtfFindByNameKind(btf, 'bpf_map', BtfKind.STRUCT);
  if (id < 0) return null; // no struct bpf_map in the BTF: nothing to walk (not a case bpfsig builds)
  const st = btf.type(id);
  if (off < 0 || off + size > st.sizeOrType) return `access beyond struct bpf_map at off ${off} size ${size}`;
  for (let i = 0; i < st.vlen; i++) {
    const m = member(st, i);
    const moff = (st.kflag ? m.offset & 0xffffff : m.offset) / 8;
    const msize = resolveSize(btf, m.type);
    if (msize <= 0 || off < moff || off >= moff + msize) continue;
    const { t } = skipModsAndTypedefs(btf, m.type);
    if (t?.kind === BtfKind.PTR && (off !== moff || size !== 8)) {
      return `cannot access ptr member ${btf.str(m.nameOff)} with moff ${moff} in struct bpf_map with off ${off} size ${size}`;
    }
    return null;
  }
  return null;
}
