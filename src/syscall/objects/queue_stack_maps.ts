// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c). CONFIRMED by source
// reading; OBSERVED on this machine's 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json,
// map_elems.json).
// - queue_stack_map_alloc_check: max_entries > 0, key_size 0, value_size > 0, flags within
//   NUMA_NODE | access flags → else EINVAL; value_size > KMALLOC_MAX_SIZE → E2BIG.
// - A ring of max_entries + 1 slots with head and tail. Push (BPF_MAP_UPDATE_ELEM with a NULL key):
//   BPF_NOEXIST or flags > BPF_EXIST → EINVAL; full → E2BIG, unless BPF_EXIST, which drops the
//   oldest element (the queue's front, the stack's bottom). Peek (LOOKUP_ELEM) and pop
//   (LOOKUP_AND_DELETE_ELEM): the queue's oldest or the stack's newest element; empty → ENOENT.
//   Delete and get_next_key → EINVAL.

import { Errno } from '../errno.js';
import { ElemFlag, MapFlag, MapType } from '../uapi/consts.js';
import { mapFlagsAccessOk } from './hashtab.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';

const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
const QUEUE_STACK_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NUMA_NODE | MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;

export function queueStackMapAllocCheck(attr: MapAttr): number {
  if (attr.max_entries === 0 || attr.key_size !== 0 || attr.value_size === 0 || attr.map_flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !mapFlagsAccessOk(attr.map_flags)) {
    return -Errno.EINVAL;
  }
  if (attr.value_size > KMALLOC_MAX_SIZE) return -Errno.E2BIG;
  return 0;
}

export class QueueStackMap extends BpfMap {
  private readonly size: number;
  private readonly elements: Uint8Array;
  private head = 0;
  private tail = 0;

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
    this.size = attr.max_entries + 1;
    this.elements = new Uint8Array(this.size * attr.value_size);
  }

  static alloc(attr: MapAttr, env: MapEnv): QueueStackMap | number {
    if ((attr.max_entries + 1) * attr.value_size > env.maxMapBytes) return -Errno.ENOMEM;
    return new QueueStackMap(attr, env);
  }

  private get isQueue(): boolean {
    return this.mapType === MapType.BPF_MAP_TYPE_QUEUE;
  }

  private empty(): boolean {
    return this.head === this.tail;
  }

  private full(): boolean {
    let h = this.head + 1;
    if (h >= this.size) h = 0;
    return h === this.tail;
  }

  private get(del: boolean): Uint8Array | number {
    if (this.empty()) return -Errno.ENOENT;
    const vs = this.valueSize;
    if (this.isQueue) {
      const v = this.elements.slice(this.tail * vs, this.tail * vs + vs);
      if (del && ++this.tail >= this.size) this.tail = 0;
      return v;
    }
    let index = this.head - 1;
    if (index < 0) index = this.size - 1;
    const v = this.elements.slice(index * vs, index * vs + vs);
    if (del) this.head = index;
    return v;
  }

  /** queue_stack_map_push_elem */
  override push(value: Uint8Array, flags: bigint): number {
    if (flags & BigInt(ElemFlag.BPF_NOEXIST) || flags > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    if (this.full()) {
      if (!(flags & BigInt(ElemFlag.BPF_EXIST))) return -Errno.E2BIG;
      if (++this.tail >= this.size) this.tail = 0;
    }
    this.elements.set(value.subarray(0, this.valueSize), this.head * this.valueSize);
    if (++this.head >= this.size) this.head = 0;
    return 0;
  }

  override pop(): Uint8Array | number {
    return this.get(true);
  }

  override peek(): Uint8Array | number {
    return this.get(false);
  }

  sysLookup(): Uint8Array | number {
    return this.peek();
  }

  sysUpdate(_key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    return this.push(value, flags);
  }

  override sysLookupAndDelete(): Uint8Array | number {
    return this.pop();
  }

  sysDelete(): number {
    return -Errno.EINVAL;
  }

  getNextKey(): number {
    return -Errno.EINVAL;
  }

  memUsage(): number {
    return this.elements.length;
  }
}
