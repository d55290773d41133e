// Type lookups by name and kind in the kernel's BTF: btf_find_by_name_kind (kernel/bpf/btf.c) and
// the helper the light-skeleton loader calls, bpf_btf_find_by_name_kind (helper 167,
// LSK-HELP-1), which resolves kfuncs, typed ksyms and attach targets.
//
// Only vmlinux BTF is modelled. For a name found in a module's BTF the kernel returns the type id in
// the low 32 bits and a new fd for the module's BTF object in the high 32 bits
// (`ret | (u64)btf_obj_fd << 32`); for vmlinux the fd part is 0, so r0 is just the id.

import { Errno } from '../errno.js';
import type { Btf } from '../../btf/btf.js';

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

/**
 * btf_find_by_name_kind(btf, name, u8 kind): the first type id ≥ 1 whose kind and name match, or
 * -ENOENT. Type 0 (void) is never returned. Names are compared as C strings.
 *
 * Remembered per BTF object (issue K: the verifier asks for `struct bpf_map` on every load, the
 * loader's helper for each kfunc and ksym): the kernel's BTF objects are not modified after they are
 * parsed, and the libbpf-style appends (addStr, addVar) change the type count or the string table
 * size, either of which forgets what was remembered. At most MAX_REMEMBERED names per object.
 */
export function kernelBtfFindByNameKind(btf: Btf, name: string, kind: number): number {
  const k = kind & 0xff; // the parameter is a u8
  let m = remembered.get(btf);
  if (!m || m.types !== btf.typeCount || m.strs !== btf.stringsSize) {
    remembered.set(btf, (m = { types: btf.typeCount, strs: btf.stringsSize, ids: new Map() }));
  }
  const key = `${k}:${name}`;
  const known = m.ids.get(key);
  if (known !== undefined) return known;
  const id = findByNameKind(btf, name, k);
  if (m.ids.size >= MAX_REMEMBERED) m.ids.clear();
  m.ids.set(key, id);
  return id;
}

const MAX_REMEMBERED = 1024;
const remembered = new WeakMap<Btf, { readonly types: number; readonly strs: number; readonly ids: Map<string, number> }>();

function findByNameKind(btf: Btf, name: string, k: number): number {
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.type(id);
    if (t.kind !== k) continue;
    if (btf.str(t.nameOff) === name) return id;
  }
  return -Errno.ENOENT;
}

/**
 * BPF_CALL_4(bpf_btf_find_by_name_kind, char *name, int name_sz, u32 kind, int flags), run on the
 * emulated kernel. `name` holds the `name_sz` bytes the program passed (the verifier made sure they
 * are readable); `kind` and `flags` are the raw register values. Returns r0: a type id, or a
 * negative errno. spec: LSK-HELP-1
 *
 * Checks, in the kernel's order: flags (as an int) must be 0 → -EINVAL; name_sz must be > 1 and the
 * last byte NUL → -EINVAL; no vmlinux BTF → -EINVAL; then the search (kind truncated to u8 on the
 * way to btf_find_by_name_kind; there is no range check, an unknown kind just finds nothing)
 * → -ENOENT when absent. The name ends at its first NUL, so `"abc\0xyz\0"` looks up `abc`.
 */
export function btfFindByNameKind(vmlinux: Btf | undefined, name: Uint8Array, kind: bigint | number, flags: bigint | number): bigint {
  if (BigInt.asIntN(32, BigInt(flags)) !== 0n) return BigInt(-Errno.EINVAL);
  if (name.length <= 1 || name[name.length - 1] !== 0) return BigInt(-Errno.EINVAL);
  if (!vmlinux) return BigInt(-Errno.EINVAL);
  const end = name.indexOf(0);
  let str: string;
  try {
    str = UTF8_STRICT.decode(name.subarray(0, end));
  } catch {
    return BigInt(-Errno.ENOENT); // not valid UTF-8: cannot equal any BTF identifier
  }
  const k = Number(BigInt.asUintN(32, BigInt(kind)) & 0xffn);
  return BigInt(kernelBtfFindByNameKind(vmlinux, str, k));
}
