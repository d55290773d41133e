// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c). CONFIRMED by source reading; OBSERVED on
// this machine's 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json):
// - bloom_map_alloc_check: value_size > KMALLOC_MAX_SIZE → E2BIG. bloom_map_alloc: key_size 0,
//   value_size > 0, max_entries > 0, flags within NUMA_NODE | ZERO_SEED | access flags, map_extra
//   within 0xf (the number of hash functions; 0 means 5) → else EINVAL.
// - The bit array has max_entries × nr_hash_funcs × 7 / 5 bits rounded up to a power of two (at
//   least 64, at most 2^32); value i of k hashes is jhash2 (jhash for sizes that are not a multiple
//   of 4) of the value with seed hash_seed + i, masked. hash_seed is random unless BPF_F_ZERO_SEED;
//   bpfsig uses 0, so with BPF_F_ZERO_SEED its false positives are the kernel's, bit for bit.
// - Push (UPDATE_ELEM, NULL key): flags must be BPF_ANY (EINVAL). Peek (LOOKUP_ELEM) reads the
//   value to test from the caller: 0 when every bit is set, else ENOENT. Pop → ENOTSUPP through the
//   syscall, delete and get_next_key → EOPNOTSUPP; a key (key_size is 0) → EINVAL.

import { Errno } from '../errno.js';
import { jhash } from '../kernel-btf/jhash.js';
import { MapFlag } from '../uapi/consts.js';
import type { Btf } from './btf.js';
import { mapFlagsAccessOk } from './hashtab.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';

const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
const BLOOM_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NUMA_NODE | MapFlag.BPF_F_ZERO_SEED | MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;
const U32_MAX = 0xffff_ffff;

export function bloomMapAllocCheck(attr: MapAttr): number {
  return attr.value_size > KMALLOC_MAX_SIZE ? -Errno.E2BIG : 0;
}

export class BloomFilterMap extends BpfMap {
  readonly nrHashFuncs: number;
  readonly bitsetMask: number;
  readonly hashSeed = 0;
  private readonly bits: Uint8Array;

  private constructor(attr: MapAttr, env: MapEnv, nrHashFuncs: number, mask: number, bytes: number) {
    super(attr, env);
    this.nrHashFuncs = nrHashFuncs;
    this.bitsetMask = mask;
    this.bits = new Uint8Array(bytes);
  }

  static alloc(attr: MapAttr, env: MapEnv): BloomFilterMap | number {
    if (attr.key_size !== 0 || attr.value_size === 0 || attr.max_entries === 0 || attr.map_flags & ~BLOOM_CREATE_FLAG_MASK
      || !mapFlagsAccessOk(attr.map_flags) || attr.map_extra & ~0xfn) {
      return -Errno.EINVAL;
    }
    const nrHash = Number(attr.map_extra & 0xfn) || 5;
    let nrBits = attr.max_entries * nrHash;
    let mask: number;
    let bytes: number;
    if (nrBits > U32_MAX || Math.floor(nrBits / 5) * 7 > U32_MAX || Math.floor(nrBits / 5) * 7 > 2 ** 31) {
      mask = U32_MAX;
      bytes = Math.ceil(U32_MAX / 8);
    } else {
      nrBits = Math.floor(nrBits / 5) * 7;
      nrBits = nrBits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(nrBits));
      mask = nrBits - 1;
      bytes = nrBits / 8;
    }
    bytes = Math.ceil(bytes / 8) * 8;
    if (bytes > env.maxMapBytes) return -Errno.ENOMEM;
    return new BloomFilterMap(attr, env, nrHash, mask, bytes);
  }

  private hash(value: Uint8Array, i: number): number {
    // jhash2 over the u32 words equals jhash over the same bytes (both start from
    // JHASH_INITVAL + length in bytes + seed and mix little-endian words).
    return (jhash(value.subarray(0, this.valueSize), (this.hashSeed + i) >>> 0) & this.bitsetMask) >>> 0;
  }

  override peek(value?: Uint8Array): Uint8Array | number {
    if (!value) return -Errno.EINVAL;
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(value, i);
      if (!(this.bits[h >>> 3]! & (1 << (h & 7)))) return -Errno.ENOENT;
    }
    return new Uint8Array(0);
  }

  override push(value: Uint8Array, flags: bigint): number {
    if (flags !== 0n) return -Errno.EINVAL;
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(value, i);
      this.bits[h >>> 3]! |= 1 << (h & 7);
    }
    return 0;
  }

  override pop(): number {
    return -Errno.EOPNOTSUPP;
  }

  sysLookup(_key: Uint8Array | null, _ctx: unknown, value?: Uint8Array): Uint8Array | number {
    return this.peek(value);
  }

  sysUpdate(_key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    return this.push(value, flags);
  }

  sysDelete(): number {
    return -Errno.EOPNOTSUPP;
  }

  getNextKey(): number {
    return -Errno.EOPNOTSUPP;
  }

  memUsage(): number {
    return this.bits.length;
  }

  /** bloom_map_check_btf: the key must be void (a keyless BTF). */
  override checkBtf(_btf: Btf, keyTypeId: number): number {
    return keyTypeId ? -Errno.EINVAL : 0;
  }
}
