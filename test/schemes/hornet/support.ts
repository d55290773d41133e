// Shared pieces of the Hornet tests: a stand-in for IPE's IPE-4 policy (until tests run against the
// real `ipe` LSM), skeletons made with the hornet toolchains, and trace readers.

import { makeSigningIdentity, type SigningIdentity } from '../../../src/keys/make-cert.js';
import type { LsmModule } from '../../../src/lsm/hooks.js';
import { findLsm } from '../../../src/lsm/registry.js';
import { makeSkeleton } from '../../../src/scenarios/make-skeleton.js';
import type { BpfObject } from '../../../src/loader/elf/object-types.js';
import { Errno } from '../../../src/syscall/errno.js';
import type { HookEvent, NoteEvent } from '../../../src/syscall/trace.js';
import type { Kernel } from '../../../src/syscall/kernel.js';

/**
 * IPE-4 as a policy module of our own: userspace loads need verdict OK, kernel loads pass (-EACCES
 * otherwise, IPE-2). It records every verdict it is handed.
 */
export function ipe4StandIn(seen: string[] = []): LsmModule {
  return {
    name: 'ipe4-stand-in',
    hooks: {
      bpf_prog_load_post_integrity: (a) => {
        seen.push(`${a.prog.name || '?'}:${a.kernel ? 'kernel' : 'user'}:${a.lsmid.name}/${a.lsmid.id}:${a.verdict}`);
        return a.kernel || a.verdict === 'OK' ? 0 : -Errno.EACCES;
      },
    },
  };
}

/** The real IPE LSM, once it is registered (it is built on another branch). */
export const HAS_IPE = findLsm('ipe') !== undefined;

export const identity: SigningIdentity = makeSigningIdentity({ cn: 'hornet test' });

export function hornetSkeletons(obj: BpfObject) {
  return {
    hornet: makeSkeleton(obj, { toolchain: 'hornet', identity, name: obj.name }),
    indexed: makeSkeleton(obj, { toolchain: 'hornet-indexed', identity, name: obj.name }),
    bpftool: makeSkeleton(obj, { toolchain: 'bpftool-7.7', identity, name: obj.name }),
    unsigned: makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }),
  };
}

export const hookCalls = (k: Kernel, hook: string): HookEvent[] => k.trace.events.filter((e): e is HookEvent => e.kind === 'hook' && e.hook === hook);

/** Hornet's notes (the HN-CHK row behind each verdict), in order. */
export const hornetNotes = (k: Kernel): string[] =>
  k.trace.events.filter((e): e is NoteEvent => e.kind === 'note' && e.text.startsWith('hornet')).map((e) => e.text);
