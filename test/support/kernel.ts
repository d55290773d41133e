// Test setup: a fresh kernel, a process and a libbpf-style client.

import { BpfClient } from '../../src/loader/bpf.js';
import { Kernel, type KernelOptions } from '../../src/syscall/kernel.js';
import type { Process } from '../../src/syscall/process.js';
import type { CapName } from '../../src/syscall/creds.js';
import { MapType } from '../../src/syscall/uapi/consts.js';

export function setup(profile = 'v6.18', opts: Partial<KernelOptions> & { uid?: number; caps?: CapName[] } = {}) {
  const k = new Kernel({ profile, ...opts });
  const p: Process = k.spawn({ ...(opts.uid !== undefined ? { uid: opts.uid } : {}), ...(opts.caps ? { caps: opts.caps } : {}) });
  const c = new BpfClient(p);
  return { k, p, c };
}

export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** An ARRAY map: key 4, the given value size and entries. */
export function arrayMap(c: BpfClient, valueSize = 8, maxEntries = 2, name = 'arr', mapFlags = 0) {
  return c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries, name, mapFlags }).ret;
}

export function hashMap(c: BpfClient, valueSize = 8, maxEntries = 2, name = 'h') {
  return c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize, maxEntries, name }).ret;
}
