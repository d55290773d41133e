// Read a light skeleton header (`bpftool gen skeleton -L [-S]`): the embedded loader instructions,
// data blob, signature and exclusive-map hash, and the skeleton's layout (maps, programs, links,
// keyring_id, mmapable maps with their initial data). Both header styles are understood:
// bpftool 7.1 (`opts.data = (void *)"…"`, explicit sizes) and bpftool 7.7 (`static const char
// opts_data[] = "…"`, `sizeof(x) - 1`). spec: LSK-HDR-1..4, LSK-CTX-1..4.

import { InputError } from '../errors.js';

export interface SkelMap {
  /** The identifier in `skel->maps.<ident>`. */
  readonly ident: string;
  /** Initial contents for mmapable maps (`.rodata`, `.bss`, `.data`): skel_prep_map_data. */
  readonly initialValue?: Uint8Array;
  /** Size of the anonymous mapping skel_prep_map_data makes (4096 in both styles). */
  readonly mmapSize?: number;
}

export interface LightSkeleton {
  /** The skeleton struct's name, e.g. `minimal_bpf`. */
  readonly name: string;
  readonly style: 'bpftool-7.1' | 'bpftool-7.7';
  readonly maps: readonly SkelMap[];
  readonly progs: readonly string[];
  readonly links: readonly string[];
  /** `__s32 keyring_id` after `links` (signed 7.7 skeletons). */
  readonly hasKeyringId: boolean;
  readonly insns: Uint8Array;
  readonly data: Uint8Array;
  readonly signature?: Uint8Array;
  readonly exclHash?: Uint8Array;
  /** `opts_signature_maps` of a `-M` header: fd_array indexes of the signed maps (TC-HCM-2). */
  readonly signatureMaps?: readonly number[];
  /**
   * What `__load()` assigns to `opts.signature_maps` (the array, or NULL) and `opts.signature_maps_sz`
   * — every signed header of the hash-chain bpftool has both lines (NULL and 0 without -M); absent
   * in other headers. bpf_load_and_run passes these, not the array's length (HC-UAPI-2).
   */
  readonly signatureMapsOpts?: { readonly ptr: 'array' | 'null'; readonly sz: number };
  /** ctx.sz = offsetof(struct, links) = 24 + 16·maps + 4·progs (LSK-CTX-4). */
  readonly ctxSize: number;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, '"': 34, "'": 39, a: 7, b: 8, f: 12, v: 11, '?': 63 };

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isOct = (c: number): boolean => c >= 48 && c <= 55;

/**
 * The bytes of a C string literal's body (between the quotes), continuations (backslash-newline)
 * removed. One linear pass: headers carry multi-megabyte literals (an 8 MiB `.bss`).
 */
export function cStringBytes(body: string): Uint8Array {
  const out = new Uint8Array(body.length);
  let n = 0;
  const len = body.length;
  for (let i = 0; i < len; ) {
    const c = body.charCodeAt(i);
    if (c !== 92) {
      out[n++] = c & 0xff;
      i++;
      continue;
    }
    if (i + 1 >= len) throw new InputError('string literal ends with a lone backslash');
    const e = body.charCodeAt(i + 1);
    if (e === 10) {
      i += 2; // line continuation
    } else if (e === 120 /* x */) {
      let j = i + 2;
      let v = 0;
      while (j < len && isHex(body.charCodeAt(j))) v = ((v << 4) | parseInt(body[j]!, 16)) & 0xffff, j++;
      if (j === i + 2) throw new InputError('\\x without hex digits in a string literal');
      out[n++] = v & 0xff;
      i = j;
    } else if (isOct(e)) {
      let j = i + 1;
      let v = 0;
      while (j < len && j < i + 4 && isOct(body.charCodeAt(j))) v = v * 8 + (body.charCodeAt(j) - 48), j++;
      out[n++] = v & 0xff;
      i = j;
    } else {
      const ch = body[i + 1]!;
      const b = ESCAPES[ch];
      if (b === undefined) throw new InputError(`unknown escape \\${ch} in a string literal`);
      out[n++] = b;
      i += 2;
    }
  }
  return out.slice(0, n);
}

/**
 * The body of the string literal whose opening quote is at `quote`: [start, end) with end at the
 * closing quote. A linear scan (a backtracking regex over a multi-megabyte literal overflows the
 * stack). Undefined when the literal is not closed.
 */
function scanLiteral(src: string, quote: number): { start: number; end: number } | undefined {
  let i = quote + 1;
  for (;;) {
    const q = src.indexOf('"', i);
    if (q < 0) return undefined;
    // The quote ends the literal unless an odd number of backslashes precedes it.
    let k = q - 1;
    while (k > quote && src.charCodeAt(k) === 92) k--;
    if ((q - 1 - k) % 2 === 0) return { start: quote + 1, end: q };
    i = q + 1;
  }
}

/** Each `prefix` match (a regex source ending just before a literal's opening quote) with the literal after it. */
function* literalsAfter(src: string, prefix: string, after?: string): Generator<{ m: RegExpExecArray; body: string; tail: RegExpExecArray | null }> {
  const re = new RegExp(prefix + String.raw`\s*(?=")`, 'g');
  const tailRe = after !== undefined ? new RegExp(after, 'y') : undefined;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const lit = scanLiteral(src, re.lastIndex);
    if (!lit) return;
    let tail: RegExpExecArray | null = null;
    if (tailRe) {
      tailRe.lastIndex = lit.end + 1;
      tail = tailRe.exec(src);
    }
    yield { m, body: src.slice(lit.start, lit.end), tail };
    re.lastIndex = lit.end + 1;
  }
}

/** The string literal that follows `prefix` (a regex source). */
function literalAfter(src: string, prefix: string): Uint8Array | undefined {
  for (const { body } of literalsAfter(src, prefix)) return cStringBytes(body);
  return undefined;
}

function section(src: string, name: 'maps' | 'progs' | 'links', struct: string): string[] {
  const m = new RegExp(String.raw`struct\s*\{([^}]*)\}\s*${name}\s*;`).exec(struct);
  if (!m) return [];
  const re = name === 'links' ? /int\s+(\w+)\s*;/g : new RegExp(String.raw`struct\s+${name === 'maps' ? 'bpf_map_desc' : 'bpf_prog_desc'}\s+(\w+)\s*;`, 'g');
  return [...m[1]!.matchAll(re)].map((x) => x[1]!);
}

/** Parse a `.lskel.h`. Bad input raises InputError naming what is missing. */
export function readLightSkeleton(text: string, file = 'header'): LightSkeleton {
  const head = /struct\s+(\w+)\s*\{\s*struct\s+bpf_loader_ctx\s+ctx\s*;/.exec(text);
  if (!head) throw new InputError(`${file}: no light-skeleton struct (struct X { struct bpf_loader_ctx ctx; …}) found`);
  const name = head[1]!;
  // The struct body runs to the first `};` at column 0 after its start.
  const start = head.index;
  const end = text.indexOf('\n};', start);
  if (end < 0) throw new InputError(`${file}: struct ${name} is not closed`);
  const struct = text.slice(start, end);
  const mapIdents = section(text, 'maps', struct);
  const progs = section(text, 'progs', struct);
  const links = section(text, 'links', struct);
  const hasKeyringId = /__s32\s+keyring_id\s*;/.test(struct);

  const style = /static const char opts_insn\[\]/.test(text) ? 'bpftool-7.7' : 'bpftool-7.1';
  const insns = style === 'bpftool-7.7' ? literalAfter(text, String.raw`static const char opts_insn\[\][^=]*=`) : literalAfter(text, String.raw`opts\.insns = \(void \*\)`);
  const data = style === 'bpftool-7.7' ? literalAfter(text, String.raw`static const char opts_data\[\][^=]*=`) : literalAfter(text, String.raw`opts\.data = \(void \*\)`);
  if (!insns) throw new InputError(`${file}: no loader instructions (opts_insn / opts.insns) found`);
  if (!data) throw new InputError(`${file}: no loader data (opts_data / opts.data) found`);
  if (style === 'bpftool-7.1') {
    const isz = /opts\.insns_sz\s*=\s*(\d+)\s*;/.exec(text);
    const dsz = /opts\.data_sz\s*=\s*(\d+)\s*;/.exec(text);
    if (isz && Number(isz[1]) !== insns.length) throw new InputError(`${file}: opts.insns_sz ${isz[1]} but the literal holds ${insns.length} bytes`);
    if (dsz && Number(dsz[1]) !== data.length) throw new InputError(`${file}: opts.data_sz ${dsz[1]} but the literal holds ${data.length} bytes`);
  }
  if (insns.length % 8) throw new InputError(`${file}: loader instructions are ${insns.length} bytes, not a multiple of 8`);
  const signature = literalAfter(text, String.raw`static const char opts_sig\[\][^=]*=`);
  const exclHash = literalAfter(text, String.raw`static const char opts_excl_hash\[\][^=]*=`);
  const sigMaps = /static const int opts_signature_maps\[(\d+)\][^=]*=\s*\{([^}]*)\}/.exec(text);
  let signatureMaps: number[] | undefined;
  if (sigMaps) {
    signatureMaps = sigMaps[2]!.split(',').map((x) => x.trim()).filter((x) => x.length > 0).map(Number);
    if (signatureMaps.some((x) => !Number.isSafeInteger(x)) || signatureMaps.length !== Number(sigMaps[1]))
      throw new InputError(`${file}: opts_signature_maps[${sigMaps[1]}] does not hold ${sigMaps[1]} integers`);
  }

  const smPtr = /opts\.signature_maps\s*=\s*\(void \*\)\s*(\w+)\s*;/.exec(text);
  const smSz = /opts\.signature_maps_sz\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*;/.exec(text);
  let signatureMapsOpts: { ptr: 'array' | 'null'; sz: number } | undefined;
  if (smPtr || smSz) {
    if (!smPtr || !smSz) throw new InputError(`${file}: sets only one of opts.signature_maps and opts.signature_maps_sz`);
    if (smPtr[1] !== 'NULL' && smPtr[1] !== 'opts_signature_maps') throw new InputError(`${file}: opts.signature_maps = ${smPtr[1]} (expected opts_signature_maps or NULL)`);
    if (smPtr[1] === 'opts_signature_maps' && !signatureMaps) throw new InputError(`${file}: opts.signature_maps points to opts_signature_maps, which the header does not define`);
    const sz = Number(smSz[1]);
    if (!Number.isSafeInteger(sz) || sz > 0xffff_ffff) throw new InputError(`${file}: opts.signature_maps_sz ${smSz[1]} is not a __u32`);
    signatureMapsOpts = { ptr: smPtr[1] === 'NULL' ? 'null' : 'array', sz };
  }

  // Initial values of mmapable maps, from __open(): the literal handed to skel_prep_map_data and
  // the map whose initial_value receives the result.
  const initial = new Map<string, { bytes: Uint8Array; mmapSize: number }>();
  for (const { body, tail } of literalsAfter(text, String.raw`static const char data\[\][^=;"]*=`, String.raw`\s*;\s*skel->(\w+)\s*=[^;]*?skel_prep_map_data\(\(void \*\)data,\s*(\d+)`)) {
    if (tail) initial.set(tail[1]!, { bytes: cStringBytes(body), mmapSize: Number(tail[2]) });
  }
  for (const { m, body, tail } of literalsAfter(text, String.raw`skel->(\w+)\s*=\s*skel_prep_map_data\(\(void \*\)`, String.raw`,\s*(\d+),\s*(\d+)\)`)) {
    if (tail) initial.set(m[1]!, { bytes: cStringBytes(body).subarray(0, Number(tail[2])), mmapSize: Number(tail[1]) });
  }
  const maps = mapIdents.map((ident) => {
    // A data-section map's ident (rodata, bss, data, rodata_str1_1, …) names the skel->X pointer.
    const iv = initial.get(ident);
    return iv ? { ident, initialValue: iv.bytes, mmapSize: iv.mmapSize } : { ident };
  });
  return {
    name,
    style,
    maps,
    progs,
    links,
    hasKeyringId,
    insns,
    data,
    ...(signature ? { signature } : {}),
    ...(exclHash ? { exclHash } : {}),
    ...(signatureMaps ? { signatureMaps } : {}),
    ...(signatureMapsOpts ? { signatureMapsOpts } : {}),
    ctxSize: 24 + 16 * maps.length + 4 * progs.length,
  };
}
