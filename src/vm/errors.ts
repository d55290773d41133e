// What can stop a BPF program, as values. The interpreter never throws for a program's own
// behaviour: every stop is a VmError with a kind, the pc, and a message a reader can act on.
//
// spec: VM-LDR-4 (the memory the loader may touch; everything else faults), VM-ISA-9 (call depth).

import { Errno } from '../abi/errno.js';
import { hex, type RegionKind } from '../abi/memory.js';

export type VmErrorKind =
  /** A load, store or atomic touched memory it may not: unmapped, out of bounds, read-only, user. */
  | 'fault'
  /** The instruction budget ran out (a runaway loop). */
  | 'budget'
  /** A BPF-to-BPF call would exceed MAX_CALL_FRAMES. */
  | 'call_depth'
  /** An instruction that cannot execute (fell off the end, decode-time rejection). */
  | 'bad_insn'
  /** A helper implementation reported an error or threw. */
  | 'helper'
  /** A helper id that the run's helper table does not have. */
  | 'unknown_helper'
  /** A kfunc call (call with src_reg 2) that was not bound at decode time. */
  | 'unsupported_call';

export type AccessType = 'read' | 'write' | 'atomic';

/** Why an access faulted. */
export type FaultReason = 'unmapped' | 'bounds' | 'read_only' | 'user';

export interface FaultRegion {
  readonly name: string;
  readonly kind: RegionKind;
  readonly base: bigint;
  readonly size: number;
}

export interface VmFault {
  readonly addr: bigint;
  readonly size: number;
  readonly access: AccessType;
  readonly reason: FaultReason;
  /** The region the address falls in, or 'unmapped'. */
  readonly region: FaultRegion | 'unmapped';
  /** For an unmapped address: the closest region within a page, and the address's offset from its base. */
  readonly near?: { readonly region: FaultRegion; readonly offset: number };
}

export interface VmError {
  readonly kind: VmErrorKind;
  /** Instruction index (slot number) where execution stopped. */
  readonly pc: number;
  readonly message: string;
  readonly fault?: VmFault;
  /** The helper (or kfunc) involved, for 'helper' / 'unknown_helper' / 'unsupported_call'. */
  readonly helper?: { readonly id: number; readonly name?: string };
}

/** Error raised while decoding a program (structural checks, pseudo-immediate resolution). */
export interface DecodeError {
  readonly pc: number;
  readonly message: string;
  /** The kernel's result for this rejection (a negative errno), EINVAL unless a resolver said otherwise. */
  readonly errno: number;
}

export function decodeError(pc: number, message: string, errno: number = -Errno.EINVAL): DecodeError {
  return { pc, message, errno };
}

const REASON_TEXT: Record<FaultReason, string> = {
  unmapped: 'no mapping at this address',
  bounds: 'access runs past the end of the region',
  read_only: 'region is read-only',
  user: 'user memory is not directly accessible to a BPF program (use bpf_copy_from_user)',
};

export function faultError(pc: number, fault: VmFault): VmError {
  const describe = (r: FaultRegion): string => `${r.name} (${r.kind}, ${hex(r.base)} +${r.size})`;
  let where: string;
  if (fault.region !== 'unmapped') where = describe(fault.region);
  else if (fault.near) {
    const o = fault.near.offset;
    where = `unmapped memory at offset ${o < 0 ? o : `+${o}`} of ${describe(fault.near.region)}`;
  } else where = 'unmapped memory';
  const message = `pc ${pc}: invalid ${fault.access} of ${fault.size} byte${fault.size === 1 ? '' : 's'} at ${hex(fault.addr)} in ${where}: ${REASON_TEXT[fault.reason]}`;
  return { kind: 'fault', pc, message, fault };
}

export function vmError(kind: VmErrorKind, pc: number, message: string, helper?: VmError['helper']): VmError {
  return helper ? { kind, pc, message: `pc ${pc}: ${message}`, helper } : { kind, pc, message: `pc ${pc}: ${message}` };
}
