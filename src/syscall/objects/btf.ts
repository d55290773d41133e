// BTF objects created by BPF_BTF_LOAD: structural validation of the header, the section table, the
// string section and the type metadata (the first pass of the kernel's btf_parse), and an index of
// the types for lookups by id and name.
//
// The checks, their order, errnos and verifier-log messages follow kernel/bpf/btf.c
// (btf_parse_hdr, btf_check_sec_info, btf_parse_str_sec, btf_parse_type_sec/btf_check_meta) and were
// OBSERVED on this machine's 6.18.44 kernel for: empty input ("hdr_len not found", EINVAL), bad
// magic ("Invalid magic", EINVAL), version 2 ("Unsupported version", ENOTSUPP), flags 1
// ("Unsupported flags", ENOTSUPP), a gap after the sections ("Unsupported section found", EINVAL), an
// overlong section ("Total section length too long", EINVAL), no types ("No type found", EINVAL).
// The second pass (btf_check_all_types) is modelled only in part: every type and string reference
// must resolve (the shared model's checks, src/btf). Not modelled: sizing and kind-specific rules of
// every type, and the per-type lines the kernel logs at log_level > 0.

import { ContentCache } from '../../abi/content-cache.js';
import { Btf as BtfModel, BTF_HEADER_SIZE, BTF_KIND_NAMES, BTF_MAGIC, BtfKind } from '../../btf/btf.js';
import { BtfFormatError } from '../../btf/errors.js';
import { Errno } from '../errno.js';

export const BTF_VERSION = 1;
/** BTF_MAX_NAME_OFFSET */
const BTF_MAX_NAME_OFFSET = 0xffffff;
const BTF_MAX_TYPE = 0xfffff;
const BTF_KIND_MAX = 19;

/** Bytes of kind-specific data after the 12-byte btf_type. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return 4;
    case BtfKind.ARRAY:
      return 12;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.DATASEC:
    case BtfKind.ENUM64:
      return 12 * vlen;
    case BtfKind.ENUM:
    case BtfKind.FUNC_PROTO:
      return 8 * vlen;
    default:
      return 0;
  }
}

import type { BtfHeader } from '../../btf/btf.js';
export type { BtfHeader };

export interface BtfTypeEntry {
  readonly id: number;
  readonly kind: number;
  readonly kindName: string;
  readonly name: string;
  readonly vlen: number;
  readonly kindFlag: boolean;
  /** size (INT, STRUCT, …) or referenced type id (PTR, TYPEDEF, FUNC, …). */
  readonly sizeOrType: number;
  /** Offset of the btf_type inside the type section. */
  readonly offset: number;
}

/** The verifier log of a BTF load (bpf_verifier_log); the caller decides what reaches userspace. */
export interface BtfLog {
  write(line: string): void;
}

export type BtfParseResult = { ok: true; btf: Btf } | { ok: false; err: number };

/** Btf.load's entries: the lines the parse wrote and its outcome (a template object or the errno). */
interface LoadCacheEntry {
  readonly lines: readonly string[];
  readonly template: Btf | undefined;
  readonly err: number;
}
/** Module state shared by kernels: the parse is a function of the bytes only (32 blobs of at most 256 KiB). */
const loadCache = new ContentCache<LoadCacheEntry>(32, 256 * 1024);

/** Forget what Btf.load remembered (tests). */
export function clearBtfLoadCache(): void {
  loadCache.clear();
}

export class Btf {
  id = 0;
  refcnt = 1;
  /** The kernel's own BTF (vmlinux or a module), as opposed to one loaded by BPF_BTF_LOAD. */
  kernel = false;
  name = '';

  private constructor(
    readonly data: Uint8Array,
    readonly hdr: BtfHeader,
    readonly types: readonly BtfTypeEntry[],
    /** The shared BTF model (src/btf) for type queries. */
    readonly model: BtfModel,
  ) {}

  /**
   * A new object over the same parsed (read-only) data, with its own id, refcount and name: the
   * next emulated kernel boots with the same vmlinux BTF without parsing it again.
   */
  share(): Btf {
    return new Btf(this.data, this.hdr, this.types, this.model);
  }

  /**
   * btf_parse for BPF_BTF_LOAD, remembered by the exact bytes (issue K: a light skeleton loads the
   * same blob every time). The parse reads nothing but `data` — no profile, no vmlinux BTF (this
   * command takes no base BTF) — so its outcome and every line it writes to the log are a function
   * of the bytes: a hit writes the same lines to this call's log and returns a new object (own id,
   * refcount, name) over the shared read-only parse, holding this call's copy of the bytes. The
   * key is the bytes themselves (a byte-for-byte comparison), at most 256 KiB per
   * blob and 32 blobs, least recently used dropped first (src/abi/content-cache.ts). Failures are
   * remembered too (their errno and log lines); an exception other than a format error is not.
   */
  static load(data: Uint8Array, log: BtfLog): BtfParseResult {
    if (!loadCache.fits(data)) return Btf.parse(data, log);
    let hit = loadCache.get(data);
    if (hit) {
      for (const line of hit.lines) log.write(line);
      const t = hit.template;
      return t ? { ok: true, btf: new Btf(data, t.hdr, t.types, t.model) } : { ok: false, err: hit.err };
    }
    const lines: string[] = [];
    const own = data.slice(); // the parse keeps views of these bytes: a private copy
    const r = Btf.parse(own, {
      write: (s) => {
        lines.push(s);
        log.write(s);
      },
    });
    Object.freeze(lines);
    if (r.ok) {
      Object.freeze(r.btf.hdr);
      for (const t of r.btf.types) Object.freeze(t);
      Object.freeze(r.btf.types);
      hit = { lines, template: r.btf, err: 0 };
    } else hit = { lines, template: undefined, err: r.err };
    loadCache.set(data, hit);
    return r.ok ? { ok: true, btf: new Btf(data, r.btf.hdr, r.btf.types, r.btf.model) } : r;
  }

  /** The type with this id (1-based; 0 is void), or undefined. */
  typeById(id: number): BtfTypeEntry | undefined {
    return this.types[id - 1];
  }

  /** btf_find_by_name_kind: the id of the first type with this name and kind, or -ENOENT. */
  findByNameKind(name: string, kind: number): number {
    const id = this.model.findByNameKind(name, kind);
    return id > 0 ? id : -Errno.ENOENT;
  }

  /**
   * btf_type_id_size: the byte size of a type after following typedefs and modifiers, or undefined
   * for a type without a size (void, FUNC, FWD, …).
   */
  resolveSize(id: number): number | undefined {
    if (id <= 0 || id >= this.model.typeCount) return undefined;
    try {
      return this.model.resolveSize(id);
    } catch (e) {
      if (e instanceof BtfFormatError) return undefined;
      throw e;
    }
  }

  /** btf_type_is_i32: an INT of 4 bytes, 32 bits, at bit offset 0 (after modifiers). */
  isI32(id: number): boolean {
    if (id <= 0 || id >= this.model.typeCount) return false;
    const t = this.model.type(this.model.skipModsAndTypedefs(id));
    if (t.kind !== BtfKind.INT || t.sizeOrType !== 4) return false;
    const enc = t.extra[0]!;
    return (enc & 0xff) === 32 && ((enc >>> 16) & 0xff) === 0;
  }

  get size(): number {
    return this.data.length;
  }


  /**
   * btf_parse, first pass: header, sections, strings, type metadata. Failures log the kernel's
   * message to `log` and return the kernel's errno.
   */
  static parse(data: Uint8Array, log: BtfLog): BtfParseResult {
    const fail = (msg: string, err: number): BtfParseResult => {
      log.write(msg + '\n');
      return { ok: false, err };
    };
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    // btf_parse_hdr
    if (data.length < 8) return fail('hdr_len not found', -Errno.EINVAL);
    const hdrLen = dv.getUint32(4, true);
    if (data.length < hdrLen) return fail('btf_header not found', -Errno.EINVAL);
    if (hdrLen > BTF_HEADER_SIZE) {
      for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) if (data[i]) return fail('Unsupported btf_header', -Errno.E2BIG);
    }
    const raw = new Uint8Array(BTF_HEADER_SIZE);
    raw.set(data.subarray(0, Math.min(hdrLen, BTF_HEADER_SIZE)));
    const h = new DataView(raw.buffer);
    const hdr: BtfHeader = {
      magic: h.getUint16(0, true),
      version: h.getUint8(2),
      flags: h.getUint8(3),
      hdrLen,
      typeOff: h.getUint32(8, true),
      typeLen: h.getUint32(12, true),
      strOff: h.getUint32(16, true),
      strLen: h.getUint32(20, true),
    };
    log.write(
      `magic: 0x${hdr.magic.toString(16)}\nversion: ${hdr.version}\nflags: 0x${hdr.flags.toString(16)}\n` +
        `hdr_len: ${hdr.hdrLen}\ntype_off: ${hdr.typeOff}\ntype_len: ${hdr.typeLen}\n` +
        `str_off: ${hdr.strOff}\nstr_len: ${hdr.strLen}\nbtf_total_size: ${data.length}\n`,
    );
    if (hdr.magic !== BTF_MAGIC) return fail('Invalid magic', -Errno.EINVAL);
    if (hdr.version !== BTF_VERSION) return fail('Unsupported version', -Errno.ENOTSUPP);
    if (hdr.flags) return fail('Unsupported flags', -Errno.ENOTSUPP);
    if (data.length === hdr.hdrLen) return fail('No data', -Errno.EINVAL);

    // btf_check_sec_info: sections sorted by offset, no gap, no overlap, nothing after them.
    const secs = [
      { off: hdr.typeOff, len: hdr.typeLen },
      { off: hdr.strOff, len: hdr.strLen },
    ].sort((a, b) => a.off - b.off);
    const expectedTotal = data.length - hdr.hdrLen;
    let total = 0;
    for (const s of secs) {
      if (expectedTotal < s.off) return fail('Invalid section offset', -Errno.EINVAL);
      if (total < s.off) return fail('Unsupported section found', -Errno.EINVAL);
      if (total > s.off) return fail('Section overlap found', -Errno.EINVAL);
      if (expectedTotal - total < s.len) return fail('Total section length too long', -Errno.EINVAL);
      total += s.len;
    }
    if (expectedTotal !== total) return fail('Unsupported section found', -Errno.EINVAL);

    // btf_parse_str_sec
    const body = data.subarray(hdr.hdrLen);
    if (hdr.strOff + hdr.strLen !== body.length) return fail('String section is not at the end', -Errno.EINVAL);
    const strs = body.subarray(hdr.strOff, hdr.strOff + hdr.strLen);
    if (!hdr.strLen || hdr.strLen - 1 > BTF_MAX_NAME_OFFSET || strs[hdr.strLen - 1] !== 0 || strs[0] !== 0) {
      return fail('Invalid string section', -Errno.EINVAL);
    }
    const nameAt = (off: number): string => {
      const end = strs.indexOf(0, off);
      return Buffer.from(strs.subarray(off, end < 0 ? strs.length : end)).toString('latin1');
    };

    // btf_parse_type_sec, first pass (btf_check_all_metas)
    if (hdr.typeOff & 3) return fail('Unaligned type_off', -Errno.EINVAL);
    if (!hdr.typeLen) return fail('No type found', -Errno.EINVAL);
    const tsec = body.subarray(hdr.typeOff, hdr.typeOff + hdr.typeLen);
    const tv = new DataView(tsec.buffer, tsec.byteOffset, tsec.byteLength);
    const types: BtfTypeEntry[] = [];
    let off = 0;
    while (off < tsec.length) {
      const id = types.length + 1;
      const left = tsec.length - off;
      if (left < 12) return fail(`[${id}] meta_left:${left} meta_needed:12`, -Errno.EINVAL);
      const nameOff = tv.getUint32(off, true);
      const info = tv.getUint32(off + 4, true);
      const sizeOrType = tv.getUint32(off + 8, true);
      // BTF_INFO_MASK: vlen (bits 0-15), kind (bits 24-28), kind_flag (bit 31)
      if (info & ~0x9f00ffff) return fail(`[${id}] Invalid btf_info:${info.toString(16)}`, -Errno.EINVAL);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      if (kind > BTF_KIND_MAX || kind === BtfKind.UNKN) return fail(`[${id}] Invalid kind:${kind}`, -Errno.EINVAL);
      if (nameOff >= hdr.strLen) return fail(`[${id}] Invalid name_offset:${nameOff}`, -Errno.EINVAL);
      const need = extraSize(kind, vlen);
      if (left - 12 < need) {
        return fail(`[${id}] ${BTF_KIND_NAMES[kind]} ${nameAt(nameOff)} meta_left:${left - 12} meta_needed:${need}`, -Errno.EINVAL);
      }
      if (id > BTF_MAX_TYPE) return fail('Exceeded max num of types', -Errno.E2BIG);
      types.push({
        id,
        kind,
        kindName: BTF_KIND_NAMES[kind]!,
        name: nameAt(nameOff),
        vlen,
        kindFlag: (info >>> 31) === 1,
        sizeOrType,
        offset: off,
      });
      off += 12 + need;
    }
    // Second pass, in part: every type and string reference must resolve (btf_check_all_types).
    let model: BtfModel;
    try {
      model = BtfModel.parse(data);
    } catch (e) {
      if (e instanceof BtfFormatError) return fail(e.message, -Errno.EINVAL);
      throw e;
    }
    return { ok: true, btf: new Btf(data, hdr, types, model) };
  }
}
