// BPF_MAP_FREEZE: map_freeze(). spec: FRZ-1 (CHECK_ATTR → EINVAL; bad fd → EBADF/EINVAL),
// FRZ-2 (STRUCT_OPS or a BTF record → ENOTSUPP), FRZ-3 (no FMODE_CAN_WRITE → EPERM, so a second
// freeze gives EPERM), FRZ-4 (active writers or a writable mmap → EBUSY; frozen → EBUSY).
// OBSERVED (freeze_semantics.json, and on this machine): second freeze → EPERM; freeze through a
// BPF_F_RDONLY map's fd → EPERM.

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import { FMODE_CAN_WRITE } from '../file.js';
import { BpfCmd, MapType } from '../uapi/consts.js';
import { bpfMapGet } from './fdget.js';
import { mapGetSysPerms } from './map_elem.js';

export function mapFreeze(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  if (checkAttrFails(BpfCmd.BPF_MAP_FREEZE, attrBytes, p)) return ctx.fail('FRZ-1', 'CHECK_ATTR(BPF_MAP_FREEZE)', -Errno.EINVAL);
  const a = ctx.attrOf(BpfCmd.BPF_MAP_FREEZE);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('FRZ-1', 'map fd', got);
  const { map, file } = got;
  if (map.mapType === MapType.BPF_MAP_TYPE_STRUCT_OPS) return ctx.fail('FRZ-2', 'STRUCT_OPS map', -Errno.ENOTSUPP);
  if (!(mapGetSysPerms(map, file) & FMODE_CAN_WRITE)) return ctx.fail('FRZ-3', 'fd not writable (frozen or read-only)', -Errno.EPERM);
  if (map.writeActive > 0 || map.writableMmaps > 0) return ctx.fail('FRZ-4', 'active writers', -Errno.EBUSY);
  if (map.frozen) return ctx.fail('FRZ-4', 'already frozen', -Errno.EBUSY);
  map.frozen = true;
  ctx.step('FRZ-4', 'map frozen', `map ${map.id} '${map.name}'`);
  return 0;
}
