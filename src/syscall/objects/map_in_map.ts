// Maps of maps (kernel/bpf/map_in_map.c): the inner map template taken at creation and the check
// an inner map must pass to be stored. CONFIRMED by source reading; OBSERVED on this machine's
// 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json):
// - template: an fd that is not open → EBADF, not a map → EINVAL; a map-in-map → EINVAL (one
//   level only); a type without map_meta_equal (PROG_ARRAY) → ENOTSUPP; an exclusive map → ENOTSUPP
//   on kernels with the EXCL-3 check (6.18.44 has it, Debian's 6.18.15 does not: profile option
//   exclMapNotInner);
// - element: the same fd errors, an exclusive map → ENOTSUPP (same option), then map_meta_equal
//   (type, key and value size, flags; arrays also max_entries unless the template has
//   BPF_F_INNER_MAP) → EINVAL.

import { Errno } from '../errno.js';
import type { OpenFile } from '../file.js';
import type { BpfMap, ElemCtx } from './map.js';

/** __bpf_map_get(fdget(fd)) */
function mapOfFd(file: OpenFile | undefined): BpfMap | number {
  if (!file) return -Errno.EBADF;
  if (file.kind !== 'bpf-map') return -Errno.EINVAL;
  return file.object as BpfMap;
}

/** bpf_map_meta_alloc: the inner map template, or -errno. */
export function bpfMapMetaAlloc(fdget: ((fd: number) => OpenFile | undefined) | undefined, fd: number, exclNotInner: boolean): BpfMap | number {
  const inner = mapOfFd(fdget?.(fd));
  if (typeof inner === 'number') return inner;
  if (inner.innerMapMeta) return -Errno.EINVAL;
  if (!inner.hasMetaEqual || (exclNotInner && inner.exclProgSha)) return -Errno.ENOTSUPP;
  return inner;
}

/** bpf_map_fd_get_ptr: the map an element of `outer` may hold, or -errno. */
export function bpfMapFdGetPtr(outer: BpfMap, ctx: ElemCtx, fd: number): BpfMap | number {
  const inner = mapOfFd(ctx.fdget(fd));
  if (typeof inner === 'number') return inner;
  if (outer.exclMapNotInner && inner.exclProgSha) return -Errno.ENOTSUPP;
  const meta = outer.innerMapMeta;
  if (!meta || !meta.metaEqual(inner)) return -Errno.EINVAL;
  return inner;
}
