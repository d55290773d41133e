// struct bpf_prog (with the parts of bpf_prog_aux bpfsig models).
// spec: LOAD-7 (allocation and fields), DIG-1 (digest; the tag is its first 8 bytes), KP-LOAD-4
// (v6.18 records no signature verdict on the program), LOAD-15 (id), AUD-BPF-2 (UNLOAD at the final put).

import type { BpfSigKeyring } from '../../keys/bpf-key.js';
import type { DecodedProgram } from '../../vm/decode.js';
import { progTypeName } from '../uapi/consts.js';
import type { Btf } from './btf.js';
import type { BpfMap } from './map.js';

/** enum bpf_sig_verdict (LT-VERD-1): no intermediate state. */
export type BpfSigVerdict = 'BPF_SIG_UNSIGNED' | 'BPF_SIG_VERIFIED';

/**
 * prog->aux->sig: what the load-time signature check concluded (LT-VERD-1..3). Kernels that keep a
 * verdict on the program (Linux 7.3) set it for every load before security_bpf_prog_load; v6.18
 * keeps none (KP-LOAD-4) and leaves it null.
 */
export interface ProgSignatureRecord {
  readonly verdict: BpfSigVerdict;
  readonly keyringType: BpfSigKeyring;
  /** The serial of the user/session key or keyring keyring_id resolved to; 0 for system keyrings and unsigned loads. */
  readonly keyringSerial: number;
}

/** prog->insnsi before LOAD-8 copies the caller's instructions (empty: nothing can be written to it). */
const NO_INSNS = new Uint8Array(0);

export class BpfProg {
  id = 0;
  refcnt = 1;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly progFlags: number;
  readonly sleepable: boolean;
  /** prog->len: instruction slots. */
  readonly len: number;
  /** prog->insnsi as copied from the caller (before any rewrite): what the signature covers (KP-LOAD-5). */
  insns: Uint8Array;
  name = '';
  license = '';
  gplCompatible = false;
  /** SHA-256 of the instructions with map fd immediates zeroed (DIG-2); SHA-1 on v6.17. */
  digest: Uint8Array | null = null;
  /** Maps the program references (env->used_maps), in the order the verifier met them. */
  usedMaps: BpfMap[] = [];
  /** BTF objects the program holds (kfunc module BTFs, BTF in fd_array). */
  usedBtfs: Btf[] = [];
  /** prog->aux->btf: the program's own BTF (prog_btf_fd), with func/line info. */
  btf: Btf | null = null;
  attachBtf: Btf | null = null;
  attachBtfId = 0;
  /** The decoded program the interpreter runs (set by the check stage). */
  decoded: DecodedProgram<unknown> | null = null;
  /** The largest ctx offset + size a SYSCALL program accesses (max_ctx_offset, TRUN-1). */
  maxCtxOffset = 0;
  /** Load time in nanoseconds since boot (prog->aux->load_time). */
  loadTime = 0n;
  createdByUid = 0;
  /** Loaded through bpf_sys_bpf (a loader's inner program). */
  loadedByKernel = false;
  /** security_bpf_prog_load ran: the LSM blob must be freed (security_bpf_prog_free). */
  lsmBlob = false;
  /** prog->aux->security: each LSM's blob, by LSM name (e.g. Hornet's signed map hashes, HN-CHK-9). */
  readonly security = new Map<string, unknown>();
  /** prog->aux->sig: set by profiles that keep a verdict on the program (v7.3, LT-VERD-1); v6.18 does not (KP-LOAD-4). */
  signature: ProgSignatureRecord | null = null;
  /** prog->aux->func_info: bpf_func_info records (8 bytes each: insn_off, type_id). */
  funcInfo: Uint8Array = new Uint8Array(0);
  /** prog->aux->linfo: bpf_line_info records (16 bytes each). */
  lineInfo: Uint8Array = new Uint8Array(0);
  /**
   * The instructions as bpf_insn_prepare_dump shows them (GET_INFO xlated_prog_insns): map
   * ld_imm64s carry the map id and value offset, other ld_imm64s their resolved value. Made when
   * first read (issue K: most programs are never dumped) from what the check stage fixed at load
   * time (setXlated).
   */
  get xlated(): Uint8Array | null {
    if (this.#xlated === undefined) this.#xlated = this.#makeXlated?.() ?? null;
    return this.#xlated;
  }
  /** The check stage's dump, made from inputs it no longer changes. */
  setXlated(make: () => Uint8Array): void {
    this.#makeXlated = make;
    this.#xlated = undefined;
  }
  #xlated: Uint8Array | null | undefined = null;
  #makeXlated: (() => Uint8Array) | null = null;
  /** prog->aux->verified_insns: instructions the check stage walked (PINFO-5). */
  verifiedInsns = 0;

  /**
   * `insns` gives the instructions (and prog->len); or `len` alone, for bpf_prog_alloc before the copy
   * (LOAD-7): prog->insnsi is then empty until LOAD-8 fills it, and no stage reads it before (the
   * stage contract's `insns`), so the zeroed buffer the kernel allocates is not made (issue K).
   */
  constructor(init: { type: number; expectedAttachType: number; progFlags: number; sleepable: boolean } & ({ insns: Uint8Array } | { len: number })) {
    this.type = init.type;
    this.expectedAttachType = init.expectedAttachType;
    this.progFlags = init.progFlags;
    this.sleepable = init.sleepable;
    if ('insns' in init) {
      this.insns = init.insns;
      this.len = init.insns.length / 8;
    } else {
      this.insns = NO_INSNS;
      this.len = init.len;
    }
  }

  /** prog->tag: the first 8 bytes of the digest (DIG-1). */
  get tag(): Uint8Array {
    return (this.digest ?? new Uint8Array(8)).subarray(0, 8);
  }

  get typeName(): string {
    return progTypeName(this.type);
  }
}
