// A program's instructions decoded once into typed arrays: 9 bytes per instruction instead of an
// object each (a 1,000,000-instruction BPF_PROG_LOAD: 9 MB, no per-instruction garbage). The
// check stage's passes read it through insnAt(); `get(pc)` hands out a short-lived BpfInsn for
// code written against the object form.
//
// spec: UAPI-LAYOUT-8, VM-ISA-1 — the same field split as parseInsns (vm/insn.ts).

import { HOST_LITTLE_ENDIAN as LITTLE_ENDIAN } from '../abi/memory.js';
import { BPF_INSN_SIZE } from './opcodes.js';
import type { BpfInsn } from './insn.js';

/** Programs above this many instructions are not interned (their bytes would be pinned). */
const INTERN_MAX_INSNS = 65_536;
const INTERN_CAPACITY = 128;

export class InsnArray {
  readonly length: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  /** intern()'s content key for the bytes this was decoded from (undefined when not interned). */
  readonly contentKey: number | undefined = undefined;

  private constructor(n: number) {
    this.length = n;
    this.code = new Uint8Array(n);
    this.dst = new Uint8Array(n);
    this.src = new Uint8Array(n);
    this.off = new Int16Array(n);
    this.imm = new Int32Array(n);
  }

  /** Decode an instruction stream (length a multiple of 8, like parseInsns). */
  static decode(bytes: Uint8Array): InsnArray {
    if (bytes.length % BPF_INSN_SIZE !== 0) {
      throw new RangeError(`instruction bytes: length ${bytes.length} is not a multiple of ${BPF_INSN_SIZE}`);
    }
    const n = bytes.length / BPF_INSN_SIZE;
    const a = new InsnArray(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let pc = 0, p = 0; pc < n; pc++, p += BPF_INSN_SIZE) {
      const regs = bytes[p + 1]!;
      a.code[pc] = bytes[p]!;
      a.dst[pc] = regs & 0x0f;
      a.src[pc] = regs >> 4;
      a.off[pc] = view.getInt16(p + 2, true);
      a.imm[pc] = view.getInt32(p + 4, true);
    }
    return a;
  }

  /**
   * decode(), shared for identical bytes (issue K): the same instruction bytes give the same
   * InsnArray, so results computed from it (memoOnInsns) are found again by the next load of the
   * same program. Keyed by content — contentHash() of the bytes, then a byte-for-byte comparison
   * with a private copy — so bytes patched in place (CO-RE) or any other difference miss. An
   * InsnArray is never written after it is built.
   */
  static intern(bytes: Uint8Array): InsnArray {
    if (bytes.length % BPF_INSN_SIZE !== 0 || bytes.length / BPF_INSN_SIZE > INTERN_MAX_INSNS) return InsnArray.decode(bytes);
    const key = contentHash(bytes);
    const hit = interned.get(key);
    if (hit && Buffer.compare(hit.bytes, bytes) === 0) {
      interned.delete(key);
      interned.set(key, hit);
      return hit.insns;
    }
    const insns = InsnArray.decode(bytes);
    (insns as { contentKey: number | undefined }).contentKey = key;
    interned.set(key, { bytes: bytes.slice(), insns });
    while (interned.size > INTERN_CAPACITY) interned.delete(interned.keys().next().value!);
    return insns;
  }

  /** The compact form of instructions given as objects. */
  static fromInsns(list: readonly BpfInsn[]): InsnArray {
    const a = new InsnArray(list.length);
    list.forEach((i, pc) => {
      a.code[pc] = i.code;
      a.dst[pc] = i.dst;
      a.src[pc] = i.src;
      a.off[pc] = i.off;
      a.imm[pc] = i.imm;
    });
    return a;
  }

  /** The instructions back as bytes (the inverse of decode). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length * BPF_INSN_SIZE);
    const view = new DataView(out.buffer);
    for (let pc = 0, p = 0; pc < this.length; pc++, p += BPF_INSN_SIZE) {
      out[p] = this.code[pc]!;
      out[p + 1] = (this.src[pc]! << 4) | (this.dst[pc]! & 0x0f);
      view.setInt16(p + 2, this.off[pc]!, true);
      view.setInt32(p + 4, this.imm[pc]!, true);
    }
    return out;
  }

  /** The instruction at pc as an object (undefined outside the program). */
  get(pc: number): BpfInsn | undefined {
    if (pc < 0 || pc >= this.length || !Number.isInteger(pc)) return undefined;
    return { code: this.code[pc]!, dst: this.dst[pc]!, src: this.src[pc]!, off: this.off[pc]!, imm: this.imm[pc]! };
  }
}

/** Instructions as the checks take them: the compact form, or an array of objects (tests, the assembler). */
export type Insns = InsnArray | readonly BpfInsn[];

/** insns[pc] for either form. */
export function insnAt(insns: Insns, pc: number): BpfInsn | undefined {
  return insns instanceof InsnArray ? insns.get(pc) : insns[pc];
}


/**
 * A 53-bit content hash of `bytes` with their length, as a number key for the caches that keep
 * instruction bytes (intern, the main-pass cache). Not cryptographic: every user compares the bytes
 * in full before using a hit, so a collision only costs a miss. Plain arithmetic over 32-bit words
 * (a node:crypto Hash object per call cost more than the hashing itself).
 */
export function contentHash(bytes: Uint8Array): number {
  const n = bytes.length;
  const w = n & ~3;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x01000193;
  let i = 0;
  if ((bytes.byteOffset & 3) === 0 && LITTLE_ENDIAN) {
    // the same words, read four bytes at a time
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, w >> 2);
    for (let j = 0; j < words.length; j++) {
      const k = words[j]!;
      h1 = Math.imul(h1 ^ k, 0x9e3779b1);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + k, 0x85ebca77) ^ (h2 >>> 15);
    }
    i = w;
  }
  for (; i < w; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h1 = Math.imul(h1 ^ k, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 + k, 0x85ebca77) ^ (h2 >>> 15);
  }
  for (; i < n; i++) {
    h1 = Math.imul(h1 ^ bytes[i]!, 0x9e3779b1);
    h2 = Math.imul(h2 + bytes[i]!, 0x85ebca77);
  }
  // 53 bits as one number: h1 (seeded with the length) and 21 bits of h2 (no string made per call)
  return (h1 >>> 0) * 0x20_0000 + ((h2 ^ n) & 0x1f_ffff);
}

/** InsnArray.intern's entries, least recently used first (module state, shared by kernels). */
const interned = new Map<number, { readonly bytes: Uint8Array; readonly insns: InsnArray }>();

/** Forget the interned programs and what was remembered of them (tests). */
export function clearInternedInsns(): void {
  interned.clear();
}

const memo = new WeakMap<object, Map<string, unknown>>();

/**
 * A pure function of the instructions (and of whatever `key` names), computed once per InsnArray
 * (an array of instruction objects is not remembered):
 * with intern() the next load of the same bytes finds it. The instructions are never written after
 * decode, so the only inputs are the instructions and `key`; `make` must read nothing else.
 */
export function memoOnInsns<T>(insns: Insns, key: string, make: () => T): T {
  // An array of objects may be changed by its owner: only the compact form is remembered.
  if (!(insns instanceof InsnArray)) return make();
  let m = memo.get(insns);
  if (!m) memo.set(insns, (m = new Map()));
  if (m.has(key)) return m.get(key) as T;
  const v = make();
  m.set(key, v);
  return v;
}
