// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): a binary trie of prefixes with intermediate nodes.
// CONFIRMED by source reading; OBSERVED on this machine's 6.18.44 kernel
// (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json).
// - trie_alloc: max_entries > 0, BPF_F_NO_PREALLOC required, flags within NO_PREALLOC | NUMA_NODE
//   | access flags, key_size in [5, 260] (u32 prefixlen + 1..256 bytes), value_size in
//   [1, KMALLOC_MAX_SIZE − 256 − sizeof(lpm_trie_node)] → else EINVAL. trie_check_btf: the key type
//   must be a struct.
// - Keys are `u32 prefixlen` (host order) + data (bits counted from the most significant bit of
//   data[0]). Update: flags > BPF_EXIST → EINVAL, prefixlen past the data → EINVAL; an exact match
//   is replaced (BPF_NOEXIST → EEXIST); a new prefix → ENOENT with BPF_EXIST, ENOSPC when the map
//   holds max_entries prefixes; otherwise it is linked in, with an intermediate node where two
//   prefixes part. Lookup is longest-prefix match, bounded by the key's prefixlen (prefixlen past
//   the data → ENOENT). Delete needs an exact match (EINVAL for a bad prefixlen, ENOENT if absent);
//   get_next_key walks the trie in post order (more specific prefixes first; a missing key → the
//   first). Lookup-and-delete → ENOTSUPP.

import { Errno } from '../errno.js';
import { BtfKind } from '../../btf/btf.js';
import { ElemFlag, MapFlag } from '../uapi/consts.js';
import type { Btf } from './btf.js';
import { mapFlagsAccessOk } from './hashtab.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';
import { ValuePool } from './value-pool.js';

const LPM_DATA_SIZE_MAX = 256;
const LPM_KEY_SIZE_MIN = 4 + 1;
const LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX;
const SIZEOF_LPM_TRIE_NODE = 24;
const LPM_VAL_SIZE_MAX = 4 * 1024 * 1024 - LPM_DATA_SIZE_MAX - SIZEOF_LPM_TRIE_NODE;
const LPM_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NO_PREALLOC | MapFlag.BPF_F_NUMA_NODE | MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;

interface Node {
  child: [Node | null, Node | null];
  prefixlen: number;
  intermediate: boolean;
  data: Uint8Array;
  /** Value slot (not for intermediate nodes). */
  slot: number;
}

const extractBit = (data: Uint8Array, index: number): 0 | 1 => ((data[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;

export class LpmTrieMap extends BpfMap {
  private root: Node | null = null;
  private nEntries = 0;
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  private readonly pool: ValuePool;

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
    this.dataSize = attr.key_size - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.pool = new ValuePool(env.kmem, attr.value_size, attr.max_entries + 1, 'lpm trie');
  }

  static alloc(attr: MapAttr, env: MapEnv): LpmTrieMap | number {
    if (attr.max_entries === 0 || !(attr.map_flags & MapFlag.BPF_F_NO_PREALLOC) || attr.map_flags & ~LPM_CREATE_FLAG_MASK
      || !mapFlagsAccessOk(attr.map_flags) || attr.key_size < LPM_KEY_SIZE_MIN || attr.key_size > LPM_KEY_SIZE_MAX
      || attr.value_size < 1 || attr.value_size > LPM_VAL_SIZE_MAX) {
      return -Errno.EINVAL;
    }
    return new LpmTrieMap(attr, env);
  }

  private keyParts(key: Uint8Array): { prefixlen: number; data: Uint8Array } {
    return { prefixlen: new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true), data: key.subarray(4, 4 + this.dataSize) };
  }

  /** longest_prefix_match: matching leading bits, at most min(node, key) prefixlen. */
  private match(node: Node, prefixlen: number, data: Uint8Array): number {
    const limit = Math.min(node.prefixlen, prefixlen);
    let n = 0;
    while (n < limit && extractBit(node.data, n) === extractBit(data, n)) n++;
    return n;
  }

  private checkAddElem(flags: bigint): number {
    if (flags === BigInt(ElemFlag.BPF_EXIST)) return -Errno.ENOENT;
    if (this.nEntries === this.maxEntries) return -Errno.ENOSPC;
    this.nEntries++;
    return 0;
  }

  private update(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (flags > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    const k = this.keyParts(key);
    if (k.prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const newNode: Node = { child: [null, null], prefixlen: k.prefixlen, intermediate: false, data: k.data.slice(), slot: -1 };
    const link = (v: Node): Node => {
      v.slot = this.pool.alloc();
      this.pool.bytes(v.slot).set(value.subarray(0, this.valueSize));
      return v;
    };
    // walk
    let parent: Node | null = null;
    let side: 0 | 1 = 0;
    let node = this.root;
    let matchlen = 0;
    while (node) {
      matchlen = this.match(node, k.prefixlen, k.data);
      if (node.prefixlen !== matchlen || node.prefixlen === k.prefixlen) break;
      parent = node;
      side = extractBit(k.data, node.prefixlen);
      node = node.child[side];
    }
    const setSlot = (v: Node) => (parent ? (parent.child[side] = v) : (this.root = v));
    if (!node) {
      const err = this.checkAddElem(flags);
      if (err) return err;
      setSlot(link(newNode));
      return 0;
    }
    if (node.prefixlen === matchlen) {
      if (!node.intermediate) {
        if (flags === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
      } else {
        const err = this.checkAddElem(flags);
        if (err) return err;
      }
      newNode.child = node.child;
      setSlot(link(newNode));
      if (!node.intermediate) this.pool.release(node.slot);
      return 0;
    }
    const err = this.checkAddElem(flags);
    if (err) return err;
    if (matchlen === k.prefixlen) {
      newNode.child[extractBit(node.data, matchlen)] = node;
      setSlot(link(newNode));
      return 0;
    }
    const im: Node = { child: [null, null], prefixlen: matchlen, intermediate: true, data: node.data.slice(), slot: -1 };
    if (extractBit(k.data, matchlen)) im.child = [node, link(newNode)];
    else im.child = [link(newNode), node];
    setSlot(im);
    return 0;
  }

  private lookupNode(key: Uint8Array): Node | null {
    const k = this.keyParts(key);
    if (k.prefixlen > this.maxPrefixlen) return null;
    let found: Node | null = null;
    for (let node = this.root; node; ) {
      const matchlen = this.match(node, k.prefixlen, k.data);
      if (matchlen === this.maxPrefixlen) return node;
      if (matchlen < node.prefixlen) break;
      if (!node.intermediate) found = node;
      node = node.child[extractBit(k.data, node.prefixlen)];
    }
    return found;
  }

  private delete(key: Uint8Array): number {
    const k = this.keyParts(key);
    if (k.prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    let parent: Node | null = null;
    let grand: Node | null = null;
    let side: 0 | 1 = 0;
    let parentSide: 0 | 1 = 0;
    let node = this.root;
    let matchlen = 0;
    while (node) {
      matchlen = this.match(node, k.prefixlen, k.data);
      if (node.prefixlen !== matchlen || node.prefixlen === k.prefixlen) break;
      grand = parent;
      parentSide = side;
      parent = node;
      side = extractBit(k.data, node.prefixlen);
      node = node.child[side];
    }
    if (!node || node.prefixlen !== k.prefixlen || node.prefixlen !== matchlen || node.intermediate) return -Errno.ENOENT;
    this.nEntries--;
    this.pool.release(node.slot);
    if (node.child[0] && node.child[1]) {
      node.intermediate = true;
      return 0;
    }
    const setAt = (p: Node | null, s: 0 | 1, v: Node | null) => (p ? (p.child[s] = v) : (this.root = v));
    if (parent && parent.intermediate && !node.child[0] && !node.child[1]) {
      setAt(grand, parentSide, parent.child[node === parent.child[0] ? 1 : 0]);
      return 0;
    }
    setAt(parent, side, node.child[0] ?? node.child[1]);
    return 0;
  }

  private keyOf(n: Node): Uint8Array {
    const out = new Uint8Array(4 + this.dataSize);
    new DataView(out.buffer).setUint32(0, n.prefixlen, true);
    out.set(n.data, 4);
    return out;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    let searchRoot = this.root;
    if (!searchRoot) return -Errno.ENOENT;
    const leftmost = (from: Node): Node => {
      let next: Node = from;
      for (let n: Node | null = from; n; ) {
        if (n.intermediate) n = n.child[0];
        else {
          next = n;
          n = n.child[0] ?? n.child[1];
        }
      }
      return next;
    };
    const k = key ? this.keyParts(key) : null;
    if (!k || k.prefixlen > this.maxPrefixlen) return this.keyOf(leftmost(searchRoot));
    const stack: Node[] = [];
    let node: Node | null = searchRoot;
    let matchlen = 0;
    while (node) {
      stack.push(node);
      matchlen = this.match(node, k.prefixlen, k.data);
      if (node.prefixlen !== matchlen || node.prefixlen === k.prefixlen) break;
      node = node.child[extractBit(k.data, node.prefixlen)];
    }
    if (!node || node.prefixlen !== matchlen || node.intermediate) return this.keyOf(leftmost(searchRoot));
    node = stack[stack.length - 1]!;
    for (let sp = stack.length - 1; sp > 0; sp--) {
      const parent = stack[sp - 1]!;
      if (parent.child[0] === node) {
        searchRoot = parent.child[1];
        if (searchRoot) return this.keyOf(leftmost(searchRoot));
      }
      if (!parent.intermediate) return this.keyOf(parent);
      node = parent;
    }
    return -Errno.ENOENT;
  }

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    const n = key && this.lookupNode(key);
    return n ? this.pool.bytes(n.slot).slice(0, this.valueSize) : -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    return key ? this.update(key, value, flags) : -Errno.EINVAL;
  }

  sysDelete(key: Uint8Array | null): number {
    return key ? this.delete(key) : -Errno.EINVAL;
  }

  memUsage(): number {
    return this.nEntries * (SIZEOF_LPM_TRIE_NODE + this.dataSize + this.valueSize);
  }

  override checkBtf(btf: Btf, keyTypeId: number): number {
    return keyTypeId && btf.typeById(keyTypeId)?.kind === BtfKind.STRUCT ? 0 : -Errno.EINVAL;
  }

  override progLookup(key: Uint8Array): bigint {
    const n = this.lookupNode(key);
    return n ? this.pool.addr(n.slot) : 0n;
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    return this.update(key, value, flags);
  }

  override progDelete(key: Uint8Array): number {
    return this.delete(key);
  }

  protected override freeStorage(): void {
    this.pool.destroy();
    this.root = null;
  }
}
