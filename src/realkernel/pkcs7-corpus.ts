// The PKCS#7 differential corpus: signatures over a small program's instructions (r0 = 0; exit),
// made host-side by src/keys/sign.ts — RSA-2048 without signed attributes (bpftool's form), RSA
// with signed attributes, P-256 — and seeded mutations of each: a byte flipped (xor 0x01, xor
// 0xff) at every offset, truncations, DER length and tag changes, element deletions (the
// enclosing lengths re-encoded), and seeded random corruptions. Each mutation is one
// BPF_PROG_LOAD with the certificates in the session keyring; the real kernel and the emulator
// must answer the same (accept, or the same errno) for every one. spec: PK7-*, OBS-DEB-18/19.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signPkcs7 } from '../keys/sign.js';
import type { Json } from '../scenarios/transcript.js';
import type { Plan, PlanStep } from './request.js';

/** The program the signatures cover: r0 = 0; exit. */
export const CORPUS_INSNS = Buffer.from('b7000000000000009500000000000000', 'hex');

export interface BaseSignature {
  readonly name: 'rsa-noattr' | 'rsa-attrs' | 'p256';
  readonly der: Uint8Array;
}

/** Sign the corpus program (P-256 signatures are randomized: keep the bases to reproduce a corpus). */
export function makeBaseSignatures(keysDir: string): BaseSignature[] {
  const rsa = { key: readFileSync(join(keysDir, 'signing-rsa2048/key.pem')), cert: readFileSync(join(keysDir, 'signing-rsa2048/cert.der')) };
  const p256 = { key: readFileSync(join(keysDir, 'signing-p256/key.pem')), cert: readFileSync(join(keysDir, 'signing-p256/cert.der')) };
  return [
    { name: 'rsa-noattr', der: signPkcs7(CORPUS_INSNS, rsa) },
    { name: 'rsa-attrs', der: signPkcs7(CORPUS_INSNS, { ...rsa, signedAttributes: { signingTime: new Date('2026-01-01T00:00:00Z') } }) },
    { name: 'p256', der: signPkcs7(CORPUS_INSNS, p256) },
  ];
}

export interface Mutation {
  /** `<base>/<class>:<detail>`, unique. */
  readonly id: string;
  readonly base: BaseSignature['name'];
  readonly class: 'none' | 'flip01' | 'flipff' | 'truncate' | 'length' | 'tag' | 'delete' | 'random';
  readonly sig: Uint8Array;
}

// ---- a small DER tree (definite lengths) -------------------------------------------------------

interface Node {
  tag: number;
  /** Offset of the tag and of the last length octet in the original encoding. */
  readonly start: number;
  readonly lenAt: number;
  content?: Uint8Array;
  children?: Node[];
}

function parse(buf: Uint8Array, off: number, end: number): Node[] | undefined {
  const out: Node[] = [];
  let p = off;
  while (p < end) {
    if (end - p < 2) return undefined;
    const start = p;
    const tag = buf[p++]!;
    if ((tag & 0x1f) === 0x1f) return undefined;
    let len = buf[p++]!;
    if (len === 0x80) return undefined;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n > 3 || p + n > end) return undefined;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    }
    const lenAt = p - 1;
    if (p + len > end) return undefined;
    const node: Node = { tag, start, lenAt };
    if (tag & 0x20) {
      const kids = parse(buf, p, p + len);
      if (kids) node.children = kids;
      else node.content = buf.slice(p, p + len);
    } else node.content = buf.slice(p, p + len);
    out.push(node);
    p += len;
  }
  return out;
}

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const b: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) b.unshift(x & 0xff);
  return [0x80 | b.length, ...b];
}

function encode(nodes: readonly Node[]): Uint8Array {
  const parts: number[] = [];
  for (const n of nodes) {
    const body = n.children ? encode(n.children) : n.content!;
    parts.push(n.tag, ...lengthOctets(body.length), ...body);
  }
  return new Uint8Array(parts);
}

function walk(nodes: Node[], visit: (n: Node, siblings: Node[], i: number) => void): void {
  nodes.forEach((n, i) => {
    visit(n, nodes, i);
    if (n.children) walk(n.children, visit);
  });
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OTHER_TAGS = [0x02, 0x04, 0x05, 0x06, 0x30, 0x31, 0xa0, 0xa1, 0x13, 0x17];

/** Every mutation of every base, plus seeded random ones up to `total`. */
export function mutations(bases: readonly BaseSignature[], seed: number, total = 3200): Mutation[] {
  const out: Mutation[] = [];
  const seen = new Set<string>();
  const add = (m: Mutation) => {
    const key = `${m.base}:${Buffer.from(m.sig).toString('hex')}`;
    if (seen.has(key) && m.class !== 'none') return;
    seen.add(key);
    out.push(m);
  };
  const rand = rng(seed);
  for (const b of bases) {
    const sig = b.der;
    add({ id: `${b.name}/none`, base: b.name, class: 'none', sig });
    for (let i = 0; i < sig.length; i++) {
      for (const [cls, x] of [
        ['flip01', 0x01],
        ['flipff', 0xff],
      ] as const) {
        const s = sig.slice();
        s[i]! ^= x;
        add({ id: `${b.name}/${cls}:${i}`, base: b.name, class: cls, sig: s });
      }
    }
    const step = sig.length > 200 ? 8 : 1;
    for (let n = 0; n < sig.length; n += n < 16 || n > sig.length - 16 ? 1 : step) add({ id: `${b.name}/truncate:${n}`, base: b.name, class: 'truncate', sig: sig.slice(0, n) });
    const tree = parse(sig, 0, sig.length)!;
    let k = 0;
    walk(tree, (n) => {
      const idx = k++;
      for (const d of [1, -1]) {
        const s = sig.slice();
        s[n.lenAt] = (s[n.lenAt]! + d + 256) & 0xff;
        add({ id: `${b.name}/length:${idx}${d > 0 ? '+' : '-'}1`, base: b.name, class: 'length', sig: s });
      }
      const choices = OTHER_TAGS.filter((t) => t !== n.tag);
      for (let j = 0; j < 2; j++) {
        const t = choices[Math.floor(rand() * choices.length)]!;
        const s = sig.slice();
        s[n.start] = t;
        add({ id: `${b.name}/tag:${idx}=${t.toString(16)}`, base: b.name, class: 'tag', sig: s });
      }
    });
    // element deletions, lengths of the enclosing elements re-encoded
    let count = 0;
    walk(tree, () => count++);
    for (let target = 0; target < count; target++) {
      const copy = parse(sig, 0, sig.length)!;
      let at = 0;
      let done = false;
      walk(copy, (_n, siblings, i) => {
        if (done) return;
        if (at++ === target) {
          siblings.splice(i, 1);
          done = true;
        }
      });
      add({ id: `${b.name}/delete:${target}`, base: b.name, class: 'delete', sig: encode(copy) });
    }
  }
  for (let r = 0; out.length < total; r++) {
    const b = bases[Math.floor(rand() * bases.length)]!;
    const s = b.der.slice();
    const n = 1 + Math.floor(rand() * 4);
    for (let j = 0; j < n; j++) s[Math.floor(rand() * s.length)] = Math.floor(rand() * 256);
    add({ id: `${b.name}/random:${r}`, base: b.name, class: 'random', sig: s });
  }
  return out;
}

/** The corpus as plan runs of `per` loads each (certificates added at the start of each run). */
export function corpusPlan(muts: readonly Mutation[], per = 400): Plan {
  const steps: PlanStep[] = [];
  for (let r = 0; r * per < muts.length; r++) {
    const run = `c${r}`;
    for (const [name, file] of [
      ['rsa', 'keys/signing-rsa2048/cert.der'],
      ['p256', 'keys/signing-p256/cert.der'],
    ] as const)
      steps.push({ id: `${run}/cert_${name}`, cmd: 'add_key', type: 'asymmetric', description: `bpfsig-${name}`, payload: { file }, keyring: 'KEY_SPEC_SESSION_KEYRING' } as PlanStep);
    for (const m of muts.slice(r * per, (r + 1) * per)) {
      const id = `${run}/${m.id}`;
      const attr: Record<string, Json> = {
        prog_type: 1,
        insn_cnt: 2,
        insns: { buf: CORPUS_INSNS.toString('hex') },
        license: { str: 'GPL' },
        signature: m.sig.length ? { buf: Buffer.from(m.sig).toString('hex') } : { buf_len: 0 },
        signature_size: m.sig.length,
        keyring_id: -3,
      };
      steps.push({ id, cmd: 'BPF_PROG_LOAD', attr_size: 168, attr } as PlanStep);
      steps.push({ id: `${id}#close`, cmd: 'close', fd: { fd: id }, after_ok: id } as PlanStep);
    }
  }
  return { format: 'bpfsig-transcript/1', root: 'shared/fixtures', case: 'pkcs7_corpus', description: 'PKCS#7 mutation corpus over r0 = 0; exit', steps };
}
