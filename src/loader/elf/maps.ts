// Maps of a BPF object as libbpf builds them at open time (bpf_object__init_maps):
// BTF-defined maps from the `.maps` DATASEC, then one ARRAY map per non-empty global-data section
// (.data*, .rodata*, .bss*) in section order, then the .kconfig map if kconfig externs exist.

import { Errno } from '../../syscall/errno.js';
import {
  BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_STATIC, BtfKind, type Btf, type BtfType, arrayInfo, member, memberBitOffset,
  secinfo, varLinkage,
} from '../../btf/btf.js';
import { fail } from '../errors.js';
import { MapFlag, MapType } from '../uapi.js';
import type { ElfSection } from './elf-file.js';
import type { BpfExtern, BpfMap, BtfMapDef, LibbpfMapType } from './object-types.js';

export const MAPS_ELF_SEC = '.maps';
const BPF_OBJ_NAME_LEN = 16;
const PAGE_SIZE = 4096;

/** libbpf internal_map_name(): object-name prefix + section name, at most 15 characters. */
export function internalMapName(objName: string, realName: string): string {
  let sfxLen = Math.max(7, realName.length);
  if (sfxLen >= BPF_OBJ_NAME_LEN) sfxLen = BPF_OBJ_NAME_LEN - 1;
  const pfxLen = realName.indexOf('.', 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objName.length);
  const name = (objName.slice(0, pfxLen) + realName.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

function mapFieldInt(btf: Btf, mapName: string, m: { nameOff: number; type: number }): number {
  const name = btf.str(m.nameOff);
  const t = btf.type(btf.skipModsAndTypedefs(m.type));
  if (t.kind !== BtfKind.PTR) fail('maps', `map '${mapName}': attr '${name}': expected PTR, got kind ${t.kind}`);
  const arr = btf.type(t.sizeOrType);
  if (arr.kind !== BtfKind.ARRAY) fail('maps', `map '${mapName}': attr '${name}': expected ARRAY, got kind ${arr.kind}`);
  return arrayInfo(arr).nelems;
}

interface ParsedDef extends BtfMapDef {
  inner: ParsedDef | undefined;
  hasValues: boolean;
}

function emptyDef(): ParsedDef {
  return { mapType: 0, keySize: 0, valueSize: 0, maxEntries: 0, mapFlags: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, pinning: 0, inner: undefined, hasValues: false };
}

/** libbpf parse_btf_map_def() with strict = true. */
function parseMapDef(btf: Btf, mapName: string, defT: BtfType, isInner: boolean): ParsedDef {
  const def = emptyDef();
  for (let i = 0; i < defT.vlen; i++) {
    const m = member(defT, i);
    const name = btf.str(m.nameOff);
    const sizeOfPointee = (what: string): [number, number] => {
      const t = btf.type(m.type);
      if (t.kind !== BtfKind.PTR) fail('maps', `map '${mapName}': ${what} spec is not PTR`);
      return [btf.resolveSize(t.sizeOrType), t.sizeOrType];
    };
    switch (name) {
      case 'type': def.mapType = mapFieldInt(btf, mapName, m); break;
      case 'max_entries': def.maxEntries = mapFieldInt(btf, mapName, m); break;
      case 'map_flags': def.mapFlags = mapFieldInt(btf, mapName, m); break;
      case 'numa_node': def.numaNode = mapFieldInt(btf, mapName, m); break;
      case 'map_extra': def.mapExtra = mapFieldInt(btf, mapName, m); break;
      case 'key_size':
      case 'value_size': {
        const sz = mapFieldInt(btf, mapName, m);
        const prev = name === 'key_size' ? def.keySize : def.valueSize;
        if (prev && prev !== sz) fail('maps', `map '${mapName}': conflicting ${name} ${prev} != ${sz}`);
        if (name === 'key_size') def.keySize = sz; else def.valueSize = sz;
        break;
      }
      case 'key':
      case 'value': {
        const [sz, id] = sizeOfPointee(name);
        const prev = name === 'key' ? def.keySize : def.valueSize;
        if (prev && prev !== sz) fail('maps', `map '${mapName}': conflicting ${name} size ${prev} != ${sz}`);
        if (name === 'key') { def.keySize = sz; def.keyTypeId = id; } else { def.valueSize = sz; def.valueTypeId = id; }
        break;
      }
      case 'values': {
        const isMapInMap = def.mapType === MapType.ARRAY_OF_MAPS || def.mapType === MapType.HASH_OF_MAPS;
        const isProgArray = def.mapType === MapType.PROG_ARRAY;
        if (isInner) fail('maps', `map '${mapName}': multi-level inner maps not supported`, Errno.EOPNOTSUPP);
        if (i !== defT.vlen - 1) fail('maps', `map '${mapName}': 'values' member should be last`);
        if (!isMapInMap && !isProgArray) fail('maps', `map '${mapName}': 'values' needs a map-in-map or prog-array`, Errno.EOPNOTSUPP);
        if (def.valueSize && def.valueSize !== 4) fail('maps', `map '${mapName}': conflicting value size ${def.valueSize} != 4`);
        def.valueSize = 4;
        const arr = btf.type(m.type);
        if (arr.kind !== BtfKind.ARRAY || arrayInfo(arr).nelems !== 0) fail('maps', `map '${mapName}': 'values' spec is not a zero-sized array`);
        const ptr = btf.type(btf.skipModsAndTypedefs(arrayInfo(arr).type));
        if (ptr.kind !== BtfKind.PTR) fail('maps', `map '${mapName}': 'values' def is of unexpected kind ${ptr.kind}`);
        const target = btf.type(btf.skipModsAndTypedefs(ptr.sizeOrType));
        def.hasValues = true;
        if (isProgArray) {
          if (target.kind !== BtfKind.FUNC_PROTO) fail('maps', `map '${mapName}': prog-array value def is of unexpected kind ${target.kind}`);
          break;
        }
        if (target.kind !== BtfKind.STRUCT) fail('maps', `map '${mapName}': map-in-map inner def is of unexpected kind ${target.kind}`);
        def.inner = parseMapDef(btf, `${mapName}.inner`, target, true);
        break;
      }
      case 'pinning': {
        if (isInner) fail('maps', `map '${mapName}': inner def can't be pinned`);
        const v = mapFieldInt(btf, mapName, m);
        if (v !== 0 && v !== 1) fail('maps', `map '${mapName}': invalid pinning value ${v}`);
        def.pinning = v;
        break;
      }
      default:
        fail('maps', `map '${mapName}': unknown field '${name}'`, Errno.EOPNOTSUPP);
    }
  }
  if (def.mapType === MapType.UNSPEC) fail('maps', `map '${mapName}': map type isn't specified`);
  return def;
}

/** Kernel wants ringbuf max_entries to be a power-of-2 multiple of the page size. */
function adjustRingbufSize(sz: number): number {
  if (sz === 0) return 0;
  if (sz % PAGE_SIZE === 0 && ((sz / PAGE_SIZE) & (sz / PAGE_SIZE - 1)) === 0) return sz;
  for (let mul = 1; mul <= Math.floor(0xffffffff / PAGE_SIZE); mul *= 2) if (mul * PAGE_SIZE > sz) return mul * PAGE_SIZE;
  return sz;
}

function mapFromDef(name: string, realName: string, def: ParsedDef, secIdx: number, secOffset: number, btfVarIdx: number, inner: BpfMap | undefined, initSlots: BpfMap['initSlots']): BpfMap {
  const ring = def.mapType === MapType.RINGBUF || def.mapType === MapType.USER_RINGBUF;
  return {
    name, realName, libbpfType: 'user', secIdx, secOffset, btfVarIdx,
    type: def.mapType, keySize: def.keySize, valueSize: def.valueSize,
    maxEntries: ring ? adjustRingbufSize(def.maxEntries) : def.maxEntries,
    mapFlags: def.mapFlags, numaNode: def.numaNode, mapExtra: def.mapExtra,
    btfKeyTypeId: def.keyTypeId, btfValueTypeId: def.valueTypeId, pinning: def.pinning,
    hasGlobalVars: false, initialValue: undefined, innerMap: inner, initSlots,
  };
}

export function initUserBtfMaps(btf: Btf | undefined, mapsSec: ElfSection | undefined): BpfMap[] {
  if (!mapsSec) return [];
  if (!btf) fail('maps', 'BTF is required for the .maps section, but the object has no .BTF', Errno.ENOENT);
  const secId = btf.findByNameKind(MAPS_ELF_SEC, BtfKind.DATASEC);
  if (secId < 0) fail('maps', `DATASEC '${MAPS_ELF_SEC}' not found in BTF`, Errno.ENOENT);
  const sec = btf.type(secId);
  const out: BpfMap[] = [];
  for (let i = 0; i < sec.vlen; i++) {
    const vi = secinfo(sec, i);
    const v = btf.type(vi.type);
    const mapName = btf.str(v.nameOff);
    if (!mapName) fail('maps', `map #${i}: empty name`);
    if (vi.offset + vi.size > mapsSec.size) fail('maps', `map '${mapName}' BTF data is corrupted (offset ${vi.offset} + size ${vi.size} past .maps)`);
    if (v.kind !== BtfKind.VAR) fail('maps', `map '${mapName}': unexpected var kind ${v.kind}`);
    if (varLinkage(v) !== BTF_VAR_GLOBAL_ALLOCATED) fail('maps', `map '${mapName}': unsupported map linkage ${varLinkage(v)}`, Errno.EOPNOTSUPP);
    const defT = btf.type(btf.skipModsAndTypedefs(v.sizeOrType));
    if (defT.kind !== BtfKind.STRUCT) fail('maps', `map '${mapName}': unexpected def kind ${defT.kind}`);
    if (defT.sizeOrType > vi.size) fail('maps', `map '${mapName}': invalid def size`);
    const def = parseMapDef(btf, mapName, defT, false);
    const inner = def.inner ? mapFromDef(`${mapName}.inner`, `${mapName}.inner`, def.inner, mapsSec.index, 0, 0, undefined, []) : undefined;
    out.push(mapFromDef(mapName, mapName, def, mapsSec.index, vi.offset, i, inner, []));
  }
  return out;
}

/** libbpf map_is_mmapable() test: the DATASEC named `realName` has a non-static VAR. */
function datasecHasGlobalVars(btf: Btf | undefined, valueTypeId: number): boolean {
  if (!btf || !valueTypeId) return false;
  const t = btf.type(valueTypeId);
  if (t.kind !== BtfKind.DATASEC) return false;
  for (let i = 0; i < t.vlen; i++) {
    const vt = btf.type(secinfo(t, i).type);
    if (vt.kind !== BtfKind.VAR) continue;
    if (varLinkage(vt) !== BTF_VAR_STATIC) return true;
  }
  return false;
}

export function internalMap(objName: string, type: Exclude<LibbpfMapType, 'user'>, realName: string, secIdx: number, data: Uint8Array, btf: Btf | undefined): BpfMap {
  // map_fill_btf_type_info(): value type = the type named like the section (a DATASEC)
  const valueTypeId = btf ? Math.max(0, btf.findByName(realName)) : 0;
  return {
    name: internalMapName(objName, realName), realName, libbpfType: type, secIdx, secOffset: 0, btfVarIdx: 0,
    type: MapType.ARRAY, keySize: 4, valueSize: data.length, maxEntries: 1,
    mapFlags: type === 'rodata' || type === 'kconfig' ? MapFlag.RDONLY_PROG : 0,
    numaNode: 0, mapExtra: 0, btfKeyTypeId: 0, btfValueTypeId: valueTypeId, pinning: 0,
    hasGlobalVars: datasecHasGlobalVars(btf, valueTypeId),
    initialValue: data, innerMap: undefined, initSlots: [],
  };
}

export function kconfigMap(objName: string, externs: readonly BpfExtern[], symtabIdx: number, btf: Btf | undefined): BpfMap | undefined {
  let last: BpfExtern | undefined;
  for (const e of externs) if (e.type === 'kcfg') last = e;
  if (!last || !last.kcfg) return undefined;
  const size = last.kcfg.dataOff + last.kcfg.sz;
  return internalMap(objName, 'kconfig', '.kconfig', symtabIdx, new Uint8Array(size), btf);
}

/** Names the struct member `values` offset so .maps relocations can be mapped to slots. */
export function valuesMemberOffset(btf: Btf, map: BpfMap): number {
  const sec = btf.type(btf.findByNameKind(MAPS_ELF_SEC, BtfKind.DATASEC));
  const v = btf.type(secinfo(sec, map.btfVarIdx).type);
  const def = btf.type(btf.skipModsAndTypedefs(v.sizeOrType));
  if (def.vlen === 0) fail('maps', `map '${map.name}': definition has no members`);
  const last = def.vlen - 1;
  if (btf.str(member(def, last).nameOff) !== 'values') fail('maps', `map '${map.name}': .maps relocation outside 'values'`);
  return memberBitOffset(def, last) / 8;
}
