// Races between stages: a second thread of the loading process runs syscalls (dup2 over the
// metadata map's fd, MAP_UPDATE_ELEM, MAP_FREEZE, close) at a stage boundary of the loader's
// BPF_PROG_LOAD. The kernel calls `interleave` before every stage (src/syscall/prog-load/load.ts);
// the harness fires once, at the boundary it is given. `exploreRace` runs a skeleton once per
// boundary, deterministically, and reports which interleavings change the outcome.
// spec: CLAIM-19, CLAIM-21, HC-NOT-1, HC-NOT-3, HN-MAP-1, HN-MAP-4, LT-LOAD-1, LT-LOAD-3, KP-META-4.

import type { BpfMap } from '../syscall/objects/map.js';
import type { Process } from '../syscall/process.js';
import type { StageBoundary } from '../syscall/kernel.js';
import { BpfClient } from '../loader/bpf.js';
import { MapType } from '../syscall/uapi/consts.js';

/** What the second thread does. */
export type RaceOp =
  /**
   * Make a frozen array map holding the metadata blob (`tampered`: with one byte changed;
   * `as-signed`: the blob as signed — same bytes, but not the exclusive map the loader made), ask
   * for its hash, and dup2 it over the metadata map's fd: fd_array[0] now names it.
   */
  | { readonly op: 'swap-slot'; readonly content: 'tampered' | 'as-signed' }
  /** MAP_UPDATE_ELEM of the metadata map with one byte changed (fails on a frozen map). */
  | { readonly op: 'update-metadata' }
  /** MAP_FREEZE of the metadata map. */
  | { readonly op: 'freeze-metadata' }
  /** close() the metadata map's fd. */
  | { readonly op: 'close-slot' };

/** Where the second thread runs: before the stage with this id, or right after the stage with this role. */
export type RacePoint = { readonly beforeStage: string } | { readonly afterRole: 'signature' | 'admission' };

export interface RaceSchedule {
  readonly op: RaceOp;
  readonly at: RacePoint;
  /** The byte of the blob the tampering ops change. */
  readonly dataOffset: number;
}

/** What the second thread did, for reports. */
export interface RaceRecord {
  /** The stage the loader's PROG_LOAD was about to run. */
  readonly boundary: string;
  readonly calls: readonly string[];
  /** The maps the loader program held when its load last reached a boundary (names), after the race. */
  readonly bound: readonly string[];
  /**
   * Did the op reach what the loader uses: the swapped map ended up bound to the program, or the
   * metadata map's update went through (the loader reads it when it runs).
   */
  readonly effective: boolean;
}

export const raceOpName = (op: RaceOp): string => (op.op === 'swap-slot' ? `swap-slot(${op.content})` : op.op);

/** The metadata map's fd in the loading process (bpf_load_and_run names it `__loader.map`). */
function metadataFd(proc: Process): { fd: number; map: BpfMap } | undefined {
  for (const fd of proc.fds.fds()) {
    const f = proc.fds.get(fd);
    if (f?.kind === 'bpf-map' && (f.object as BpfMap).name === '__loader.map') return { fd, map: f.object as BpfMap };
  }
  return undefined;
}

/** The blob the thread writes: the map's current value with byte `offset` flipped, or as it is. */
function blobOf(map: BpfMap, offset: number, tamper: boolean): Uint8Array {
  const v = map.sysLookup(new Uint8Array(4));
  const bytes = typeof v === 'number' ? new Uint8Array(map.valueSize) : v.slice();
  if (tamper && offset < bytes.length) bytes[offset] ^= 0x01;
  return bytes;
}

function runOp(thread: Process, op: RaceOp, dataOffset: number): { calls: string[]; ok: boolean } {
  const c = new BpfClient(thread);
  const meta = metadataFd(thread);
  if (!meta) return { calls: ['(no metadata map open: nothing to race)'], ok: false };
  const key = new Uint8Array(4);
  const out: string[] = [];
  const note = (what: string, r: { ret: number; errno?: string | null | undefined }) => out.push(`${what} = ${r.ret}${r.ret < 0 && r.errno ? ` (${r.errno})` : ''}`);
  switch (op.op) {
    case 'swap-slot': {
      const blob = blobOf(meta.map, dataOffset, op.content === 'tampered');
      const mc = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: blob.length, maxEntries: 1, name: 'swapped' });
      note('bpf(BPF_MAP_CREATE swapped)', mc);
      if (mc.ret < 0) return { calls: out, ok: false };
      note('bpf(BPF_MAP_UPDATE_ELEM)', c.mapUpdate(mc.ret, key, blob));
      note('bpf(BPF_MAP_FREEZE)', c.mapFreeze(mc.ret));
      note('bpf(BPF_OBJ_GET_INFO_BY_FD hash)', c.mapGetInfo(mc.ret, { hash: true }).res);
      const d = thread.dup2(mc.ret, meta.fd);
      note(`dup2(${mc.ret}, ${meta.fd})`, d);
      note(`close(${mc.ret})`, thread.close(mc.ret));
      return { calls: out, ok: d.ret >= 0 };
    }
    case 'update-metadata': {
      const u = c.mapUpdate(meta.fd, key, blobOf(meta.map, dataOffset, true));
      note(`bpf(BPF_MAP_UPDATE_ELEM fd ${meta.fd})`, u);
      return { calls: out, ok: u.ret >= 0 };
    }
    case 'freeze-metadata': {
      const f = c.mapFreeze(meta.fd);
      note(`bpf(BPF_MAP_FREEZE fd ${meta.fd})`, f);
      return { calls: out, ok: f.ret >= 0 };
    }
    case 'close-slot': {
      const x = thread.close(meta.fd);
      note(`close(${meta.fd})`, x);
      return { calls: out, ok: x.ret >= 0 };
    }
  }
}

/**
 * Arm the kernel: the first time the loading process's own (not kernel-originated) BPF_PROG_LOAD
 * reaches the scheduled boundary, a second thread of `proc` runs the op. Returns what it did.
 */
export function armRace(proc: Process, s: RaceSchedule): { fired: () => RaceRecord | null } {
  const k = proc.kernel;
  let fired: { boundary: string; calls: string[]; ok: boolean } | null = null;
  let bound: string[] = [];
  let thread: Process | null = null;
  k.interleave = (b: StageBoundary) => {
    if (b.ctx.isKernel || b.ctx.proc !== proc || b.cmd !== 'BPF_PROG_LOAD') return;
    if (fired) {
      // After the race: which maps the program holds as its load goes on (used_maps once bound).
      if (b.load.prog?.usedMaps.length) bound = b.load.prog.usedMaps.map((m) => m.name);
      return;
    }
    if (!atPoint(b, s.at)) return;
    thread ??= k.spawnThread(proc, `${proc.comm}:racer`);
    fired = { boundary: b.stage, ...runOp(thread, s.op, s.dataOffset) };
  };
  return {
    fired: () => {
      if (!fired) return null;
      const effective = s.op.op === 'swap-slot' ? bound.includes('swapped') : fired.ok;
      return { boundary: fired.boundary, calls: fired.calls, bound, effective };
    },
  };
}

function atPoint(b: StageBoundary, at: RacePoint): boolean {
  if ('beforeStage' in at) return b.stage === at.beforeStage;
  const prev = b.ctx.kernel.profile.progLoadStages[b.index - 1];
  return prev?.role === at.afterRole;
}
