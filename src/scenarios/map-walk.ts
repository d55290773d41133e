// A short real walk through the map side of the signing scheme on the emulated kernel: an exclusive
// metadata map, the map hash, freeze, and the stale-hash window of v6.18 as released (KP-META-4)
// that the 2026 stable fix closes (STB-2). Every result comes from running the calls.

import type { AuditSeries } from '../audit/series.js';
import { createHash } from 'node:crypto';
import { BpfClient } from '../loader/bpf.js';
import { Kernel } from '../syscall/kernel.js';
import type { BpfMap } from '../syscall/objects/map.js';
import { MapType } from '../syscall/uapi/consts.js';
import type { SysResult } from '../syscall/result.js';

export interface WalkStep {
  readonly what: string;
  readonly spec: string;
  readonly result: SysResult;
  readonly note?: string;
}

export interface MapWalk {
  readonly kernel: Kernel;
  readonly steps: WalkStep[];
  /** map->sha as a loader would read it, and the SHA-256 of what the map now holds. */
  readonly staleSha?: { mapSha: string; contentSha: string };
}

const KEY0 = new Uint8Array(4);
const enc = (s: string) => new Uint8Array(Buffer.from(s.padEnd(16, ' ').slice(0, 16), 'latin1'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The 2-instruction program the map is made exclusive to (r0 = 0; exit). */
export const DEMO_PROG = new Uint8Array(Buffer.from('b700000000000000' + '9500000000000000', 'hex'));

export function runMapWalk(profile: string, audit?: AuditSeries): MapWalk {
  const kernel = new Kernel({ profile, ...(audit ? { audit: { series: audit } } : {}) });
  const proc = kernel.spawn({ comm: 'bpfsig-demo', exe: '/usr/bin/bpfsig', argv: ['bpfsig', 'demo'] });
  const c = new BpfClient(proc);
  const steps: WalkStep[] = [];
  const progSha = new Uint8Array(createHash('sha256').update(DEMO_PROG).digest());

  const bad = c.mapCreate({
    mapType: MapType.BPF_MAP_TYPE_ARRAY,
    keySize: 4,
    valueSize: 16,
    maxEntries: 1,
    name: 'demo_bad',
    exclProgHash: progSha,
    exclProgHashSize: 16,
  });
  steps.push({ what: 'create an exclusive map with excl_prog_hash_size 16', spec: 'EXCL-1', result: bad });

  const map = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, name: 'demo_meta', exclProgHash: progSha });
  steps.push({ what: 'create demo_meta, exclusive to SHA-256(r0 = 0; exit)', spec: 'MC-13, EXCL-1', result: map });
  const fd = map.ret;

  steps.push({ what: 'write the metadata the loader will check', spec: 'ELEM-3', result: c.mapUpdate(fd, KEY0, enc('signed metadata')) });
  const early = c.mapGetInfo(fd, { hash: true });
  steps.push({
    what: 'ask for the map hash before freezing',
    spec: kernel.profile.mapHash.requireFrozen ? 'STB-2' : 'MHASH-4, KP-Q-4',
    result: early.res,
    ...(early.res.ret === 0 && early.hash ? { note: `map->sha = ${hex(early.hash)}` } : {}),
  });
  steps.push({ what: 'change the metadata after the hash was taken', spec: 'KP-META-4', result: c.mapUpdate(fd, KEY0, enc('tampered data!!')) });
  steps.push({ what: 'freeze the map', spec: 'FRZ-4', result: c.mapFreeze(fd) });
  steps.push({ what: 'update after freeze', spec: 'ELEM-1', result: c.mapUpdate(fd, KEY0, enc('again')) });
  steps.push({ what: 'freeze again', spec: 'FRZ-3', result: c.mapFreeze(fd) });

  // What a loader comparing map->sha would see now, before anyone asks for a fresh hash.
  const m = proc.fds.get(fd)?.object as BpfMap | undefined;
  let staleSha: MapWalk['staleSha'];
  if (m?.sha && m.valueRegion) {
    staleSha = { mapSha: hex(m.sha), contentSha: createHash('sha256').update(m.valueRegion()!.bytes).digest('hex') };
  }
  const late = c.mapGetInfo(fd, { hash: true });
  steps.push({ what: 'ask for the map hash after freezing', spec: 'MHASH-4, MHASH-7', result: late.res, ...(late.hash && late.res.ret === 0 ? { note: `map->sha = ${hex(late.hash)}` } : {}) });
  steps.push({ what: 'close the map fd', spec: 'FRZ-1', result: proc.close(fd) });
  return { kernel, steps, ...(staleSha ? { staleSha } : {}) };
}
