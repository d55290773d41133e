// BPF_MAP_TYPE_RINGBUF: creatable (ringbuf_map_alloc's checks); it has no syscall element
// operations: lookup/update/delete/get_next_key give -ENOTSUPP (OBSERVED on this machine's kernel
// with a NULL key; a non-NULL key fails earlier with EINVAL because key_size is 0).

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
    if (attr.max_entries > env.maxMapBytes) return -Errno.ENOMEM;
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
