// fdget + __bpf_map_get / btf_get_by_fd: an fd to a kernel object, or the kernel's errno.

import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { OpenFile } from '../file.js';
import type { Btf } from '../objects/btf.js';
import type { BpfMap } from '../objects/map.js';

/** __bpf_map_get(fdget(ufd)): -EBADF for no file, -EINVAL for a file that is not a map. */
export function bpfMapGet(ctx: SyscallCtx, fd: number): { map: BpfMap; file: OpenFile } | number {
  const file = ctx.proc.fds.get(fd);
  if (!file) return -Errno.EBADF;
  if (file.kind !== 'bpf-map') return -Errno.EINVAL;
  return { map: file.object as BpfMap, file };
}

/** btf_get_by_fd: -EBADF for no file, -EINVAL for a file that is not BTF. */
export function btfGetByFd(ctx: SyscallCtx, fd: number): Btf | number {
  const file = ctx.proc.fds.get(fd);
  if (!file) return -Errno.EBADF;
  if (file.kind !== 'btf') return -Errno.EINVAL;
  return file.object as Btf;
}
