// Values of `__kconfig` externs (libbpf bpf_object__resolve_externs, kcfg part). libbpf reads the
// running kernel's config (/boot/config-$(uname -r) or /proc/config.gz); a generator that must be
// deterministic takes the config text and the kernel version as inputs instead.

import { Errno } from '../../syscall/errno.js';
import { fail } from '../errors.js';
import type { BpfExtern, BpfObject } from '../elf/object-types.js';

export interface KconfigInputs {
  kconfig?: string;
  kernelVersion?: number;
}

function setNum(ext: BpfExtern, buf: DataView, value: bigint): void {
  const k = ext.kcfg!;
  if (k.type !== 'int' && k.type !== 'char' && k.type !== 'bool')
    fail('extern', `extern (kcfg) '${ext.name}': value '${value}' implies integer, char, or boolean type`);
  if (k.type === 'bool' && value > 1n) fail('extern', `extern (kcfg) '${ext.name}': value '${value}' isn't boolean compatible`);
  const bits = BigInt(k.sz * 8);
  const inRange = k.sz === 8 ? true : k.isSigned ? value + (1n << (bits - 1n)) < 1n << bits : value >> bits === 0n;
  if (!inRange) fail('extern', `extern (kcfg) '${ext.name}': value '${value}' doesn't fit in ${k.sz} bytes`, Errno.ERANGE);
  const off = k.dataOff;
  switch (k.sz) {
    case 1: buf.setUint8(off, Number(value & 0xffn)); break;
    case 2: buf.setUint16(off, Number(value & 0xffffn), true); break;
    case 4: buf.setUint32(off, Number(value & 0xffffffffn), true); break;
    case 8: buf.setBigUint64(off, BigInt.asUintN(64, value), true); break;
    default: fail('extern', `extern (kcfg) '${ext.name}': unsupported size ${k.sz}`);
  }
}

function setTri(ext: BpfExtern, buf: DataView, v: string): void {
  const k = ext.kcfg!;
  const off = k.dataOff;
  switch (k.type) {
    case 'bool':
      if (v === 'm') fail('extern', `extern (kcfg) '${ext.name}': value '${v}' implies tristate or char type`);
      buf.setUint8(off, v === 'y' ? 1 : 0);
      break;
    case 'tristate':
      buf.setUint32(off, v === 'y' ? 1 : v === 'm' ? 2 : 0, true); // TRI_NO 0, TRI_YES 1, TRI_MODULE 2
      break;
    case 'char':
      buf.setUint8(off, v.charCodeAt(0));
      break;
    default:
      fail('extern', `extern (kcfg) '${ext.name}': value '${v}' implies bool, tristate, or char type`);
  }
}

function setStr(ext: BpfExtern, bytes: Uint8Array, v: string): void {
  const k = ext.kcfg!;
  if (k.type !== 'char_arr') fail('extern', `extern (kcfg) '${ext.name}': value '${v}' implies char array type`);
  if (!v.endsWith('"') || v.length < 2) fail('extern', `extern (kcfg) '${ext.name}': invalid string config '${v}'`);
  const enc = new TextEncoder().encode(v.slice(1, -1)).subarray(0, k.sz - 1);
  bytes.set(enc, k.dataOff);
  bytes[k.dataOff + enc.length] = 0;
}

/** Returns the initial contents of the .kconfig map (empty when the object has none). */
export function resolveKconfig(obj: BpfObject, inputs: KconfigInputs): Uint8Array {
  const idx = obj.kconfigMapIdx;
  if (idx < 0) return new Uint8Array(0);
  const bytes = new Uint8Array(obj.maps[idx].valueSize);
  const dv = new DataView(bytes.buffer);
  const set = new Set<string>();
  let needConfig = false;
  for (const e of obj.externs) {
    if (e.type !== 'kcfg') continue;
    if (e.name.startsWith('CONFIG_')) {
      needConfig = true;
      continue;
    }
    let value: bigint;
    if (e.name === 'LINUX_KERNEL_VERSION') {
      if (inputs.kernelVersion === undefined) fail('extern', "extern (kcfg) 'LINUX_KERNEL_VERSION': no kernel version given (option kernelVersion)");
      value = BigInt(inputs.kernelVersion);
    } else if (e.name === 'LINUX_HAS_BPF_COOKIE' || e.name === 'LINUX_HAS_SYSCALL_WRAPPER') {
      value = 1n; // loader mode assumes the newest kernel for every feature probe
    } else if (!e.name.startsWith('LINUX_') || !e.isWeak) {
      fail('extern', `extern (kcfg) '${e.name}': unrecognized virtual extern`);
    } else {
      continue;
    }
    setNum(e, dv, value);
    set.add(e.name);
  }
  if (needConfig) {
    if (inputs.kconfig === undefined)
      fail('extern', 'the object has CONFIG_* __kconfig externs; pass the kernel config text (option kconfig)', Errno.EINVAL);
    for (const raw of inputs.kconfig.split('\n')) {
      const line = raw.trim();
      if (!line.startsWith('CONFIG_')) continue;
      const eq = line.indexOf('=');
      if (eq < 0) fail('extern', `failed to parse '${line}': no separator`);
      const name = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (!v) fail('extern', `failed to parse '${line}': no value`);
      const e = obj.externs.find((x) => x.type === 'kcfg' && x.name === name);
      if (!e || set.has(name)) continue;
      if (v === 'y' || v === 'n' || v === 'm') setTri(e, dv, v);
      else if (v.startsWith('"')) setStr(e, bytes, v);
      else {
        let num: bigint;
        try {
          num = BigInt(v);
        } catch {
          fail('extern', `extern (kcfg) '${name}': value '${v}' isn't a valid integer`);
        }
        if (e.kcfg!.type !== 'int' && e.kcfg!.type !== 'char') fail('extern', `extern (kcfg) '${name}': value '${v}' implies integer type`);
        setNum(e, dv, num);
      }
      set.add(name);
    }
  }
  for (const e of obj.externs) {
    if (e.type === 'kcfg' && !set.has(e.name) && !e.isWeak) fail('extern', `extern '${e.name}' (strong): not resolved`, Errno.ESRCH);
  }
  return bytes;
}
