// BPF_MAP_TYPE_RINGBUF and BPF_MAP_TYPE_USER_RINGBUF (kernel/bpf/ringbuf.c). Both are created by
// ringbuf_map_alloc: flags within BPF_F_NUMA_NODE, key and value size 0, max_entries a power of 2
// and a multiple of the page size → else EINVAL (the data area can be 64 GiB, more than a u32
// allows). Neither has syscall element operations: lookup, update, delete and get_next_key give
// ENOTSUPP (a non-NULL key fails earlier, EINVAL, since key_size is 0). OBSERVED on this machine's
// 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json). The data area is
// not allocated: nothing in the emulated system maps it or produces records.

import { Errno } from '../errno.js';
import { MapFlag } from '../uapi/consts.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';

const PAGE_SIZE = 4096;
const RINGBUF_CREATE_FLAG_MASK = MapFlag.BPF_F_NUMA_NODE;

const isPowerOf2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

export function ringbufMapAllocCheck(attr: MapAttr): number {
  if (attr.map_flags & ~RINGBUF_CREATE_FLAG_MASK) return -Errno.EINVAL;
  if (attr.key_size || attr.value_size || !isPowerOf2(attr.max_entries) || attr.max_entries % PAGE_SIZE) return -Errno.EINVAL;
  return 0;
}

export class RingbufMap extends BpfMap {
  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
  }

  static alloc(attr: MapAttr, env: MapEnv): RingbufMap | number {
    const err = ringbufMapAllocCheck(attr);
    if (err) return err;
    return new RingbufMap(attr, env);
  }

  sysLookup(): number {
    return -Errno.ENOTSUPP;
  }
  sysUpdate(): number {
    return -Errno.ENOTSUPP;
  }
  sysDelete(): number {
    return -Errno.ENOTSUPP;
  }
  getNextKey(): number {
    return -Errno.ENOTSUPP;
  }
  memUsage(): number {
    return this.maxEntries;
  }
}
