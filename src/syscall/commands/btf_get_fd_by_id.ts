// BPF_BTF_GET_FD_BY_ID: bpf_btf_get_fd_by_id() and btf_get_fd_by_id() (kernel/bpf/syscall.c,
// kernel/bpf/btf.c; LAST_FIELD fd_by_id_token_fd since the BPF-token series). Order: CHECK_ATTR
// → EINVAL; open_flags & BPF_F_TOKEN_FD → the token (not emulated: an fd that is no token gives
// EINVAL, no fd EBADF, as BTF_LOAD here); CAP_SYS_ADMIN (bpf_token_capable) → EPERM; the id not in
// the BTF idr (or its last reference gone) → ENOENT; then a new O_RDONLY|O_CLOEXEC fd on the BTF
// object (an extra reference). Other open_flags bits are not looked at. Id 1 is the kernel's own
// vmlinux BTF, registered at boot (Kernel.loadVmlinux), so `btf_id = 1` reads /sys/kernel/btf/vmlinux
// back through BPF_OBJ_GET_INFO_BY_FD. spec: UAPI-CONST-1 (command 19)

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import { bpfTokenCapable } from '../security.js';
import { BpfCmd, MapFlag } from '../uapi/consts.js';
import { btfNewFd } from './btf_load.js';

export function btfGetFdById(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const k = ctx.kernel;
  const p = k.profile;
  if (checkAttrFails(BpfCmd.BPF_BTF_GET_FD_BY_ID, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_BTF_GET_FD_BY_ID)', -Errno.EINVAL);
  const a = ctx.attrOf(BpfCmd.BPF_BTF_GET_FD_BY_ID);
  if (a.open_flags & MapFlag.BPF_F_TOKEN_FD) {
    const f = ctx.proc.fds.get(a.fd_by_id_token_fd);
    return ctx.fail('SYS-4', 'bpf_token_get_from_fd', f ? -Errno.EINVAL : -Errno.EBADF);
  }
  if (!bpfTokenCapable(ctx, 'CAP_SYS_ADMIN')) return ctx.fail('CAP-5', 'BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN', -Errno.EPERM);
  const id = a.start_id;
  const btf = k.btfIdr.find(id);
  if (!btf || btf.refcnt <= 0) return ctx.fail('SYS-4', `btf id ${id} not found`, -Errno.ENOENT);
  btf.refcnt++;
  return btfNewFd(ctx, btf);
}
