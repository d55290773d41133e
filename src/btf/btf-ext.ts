// .BTF.ext: per-section func info, line info and CO-RE relocation records.
//
// Layout facts (libbpf btf.h / kernel btf.h): header { u16 magic 0xeB9F, u8 version, u8 flags,
// u32 hdr_len, u32 func_info_off, func_info_len, line_info_off, line_info_len
// [, core_relo_off, core_relo_len] } — offsets relative to the end of the header. Each info
// block starts with a u32 record size, then repeats { u32 sec_name_off, u32 num_info,
// num_info × record }. Records keep clang's byte offsets (`insn_off`); libbpf converts them to
// instruction units when it attaches them to a program.

import { fail } from './errors.js';
import { BTF_MAGIC, type Btf } from './btf.js';

/** A record in its raw form: the first u32 is `insn_off` (bytes, as clang wrote it). */
export interface ExtRecord {
  insnOff: number;
  /** All rec_size bytes, including insn_off; copied verbatim into the loader's blob. */
  bytes: Uint8Array;
}

export interface ExtSection {
  secName: string;
  records: ExtRecord[];
}

export interface ExtInfo {
  recSize: number;
  sections: ExtSection[];
}

/** struct bpf_core_relo { insn_off, type_id, access_str_off, kind } (16 bytes). */
export interface CoreRelo {
  insnOff: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

export interface BtfExt {
  funcInfo: ExtInfo;
  lineInfo: ExtInfo;
  coreRelo: ExtInfo;
}

export const BPF_CORE_RELO_KINDS = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

const MIN_REC = { func: 8, line: 16, core: 16 } as const;

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.length < 24) fail('btf.ext', `.BTF.ext is ${bytes.length} bytes, shorter than its header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) fail('btf.ext', `.BTF.ext magic is 0x${magic.toString(16)}, expected 0xeb9f`);
  if (bytes[2] !== 1) fail('btf.ext', `.BTF.ext version ${bytes[2]} is not supported`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > bytes.length) fail('btf.ext', `.BTF.ext hdr_len ${hdrLen} is out of range`);
  const block = (off: number, len: number, what: keyof typeof MIN_REC): ExtInfo => {
    if (len === 0) return { recSize: 0, sections: [] };
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.length || end < start) fail('btf.ext', `.BTF.ext ${what} info [${off}, +${len}) runs past the section`);
    if (len < 4) fail('btf.ext', `.BTF.ext ${what} info block is ${len} bytes, too short for its record size`);
    const recSize = dv.getUint32(start, true);
    if (recSize < MIN_REC[what] || recSize % 4 !== 0)
      fail('btf.ext', `.BTF.ext ${what} info record size ${recSize} is invalid (minimum ${MIN_REC[what]}, multiple of 4)`);
    const sections: ExtSection[] = [];
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) fail('btf.ext', `.BTF.ext ${what} info section header at ${p - hdrLen} is truncated`);
      const nameOff = dv.getUint32(p, true);
      const num = dv.getUint32(p + 4, true);
      p += 8;
      if (num === 0) fail('btf.ext', `.BTF.ext ${what} info section has zero records`);
      if (p + num * recSize > end) fail('btf.ext', `.BTF.ext ${what} info section with ${num} records runs past the block`);
      const secName = btf.str(nameOff);
      const records: ExtRecord[] = [];
      for (let i = 0; i < num; i++, p += recSize) {
        records.push({ insnOff: dv.getUint32(p, true), bytes: bytes.slice(p, p + recSize) });
      }
      sections.push({ secName, records });
    }
    return { recSize, sections };
  };
  const funcInfo = block(dv.getUint32(8, true), dv.getUint32(12, true), 'func');
  const lineInfo = block(dv.getUint32(16, true), dv.getUint32(20, true), 'line');
  let coreRelo: ExtInfo = { recSize: 0, sections: [] };
  if (hdrLen >= 32) coreRelo = block(dv.getUint32(24, true), dv.getUint32(28, true), 'core');
  return { funcInfo, lineInfo, coreRelo };
}

export function decodeCoreRelo(r: ExtRecord): CoreRelo {
  const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  return { insnOff: dv.getUint32(0, true), typeId: dv.getUint32(4, true), accessStrOff: dv.getUint32(8, true), kind: dv.getUint32(12, true) };
}
