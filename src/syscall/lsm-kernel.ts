// The kernel internals an LSM's hooks reach (LsmKernel in src/lsm/hooks.ts), for one syscall: the
// caller's memory through copy_from_bpfptr, fds of the calling process, a program's used maps,
// map_get_hash, and the keys subsystem. Hornet's admission and map checks run on these.
// spec: HN-CHK-3 (signature copy), HN-CHK-5 (keyring lookup), HN-CHK-9 (fd_array reads, frozen,
// map_get_hash), HN-MAP-1/3 (used_maps), MHASH-7 (array_map_get_hash writes map->sha).

import type { LsmKernel, LsmMap, LsmProg, ProgView } from '../lsm/hooks.js';
import type { SyscallCtx } from './context.js';
import { Errno } from './errno.js';
import type { BpfMap } from './objects/map.js';
import type { BpfProg } from './objects/prog.js';
import { mapView, progOfView, progView } from './security.js';
import { copyFromBpfPtr } from './uaccess.js';

/** map->ops->map_get_hash: the hash (also left in map->sha), or -EINVAL for a map type without one. */
export function lsmMap(map: BpfMap): LsmMap {
  return {
    view: mapView(map),
    hash: () => {
      if (!map.getHash) return -Errno.EINVAL;
      const err = map.getHash();
      if (err) return err;
      return map.sha ? map.sha.slice() : -Errno.EINVAL;
    },
  };
}

function lsmProg(prog: BpfProg): LsmProg {
  return { view: progView(prog), usedMaps: () => prog.usedMaps.map(lsmMap) };
}

export function lsmKernel(ctx: SyscallCtx): LsmKernel {
  const k = ctx.kernel;
  return {
    copyFromBpfptr: (addr, len, offset = 0) => copyFromBpfPtr(ctx.proc.mem, ctx.ptr(addr), len, offset) ?? null,
    mapByFd: (fd) => {
      const f = ctx.proc.fds.get(fd);
      if (!f) return -Errno.EBADF;
      return f.kind === 'bpf-map' ? lsmMap(f.object as BpfMap) : -Errno.EINVAL;
    },
    progByFd: (fd) => {
      const f = ctx.proc.fds.get(fd);
      if (!f) return -Errno.EBADF;
      return f.kind === 'bpf-prog' ? lsmProg(f.object as BpfProg) : -Errno.EINVAL;
    },
    usedMaps: (prog: ProgView) => progOfView(prog)?.usedMaps.map(lsmMap) ?? [],
    progInsns: (prog: ProgView) => progOfView(prog)?.insns ?? new Uint8Array(0),
    note: (text) => void k.trace.emit({ kind: 'note', sys: ctx.sys, text }),
    keys: k.keys,
    keyrings: ctx.proc.keyrings,
  };
}
