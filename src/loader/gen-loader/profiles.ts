// Toolchain profiles of the light-skeleton generator (spec: TC-BT71-*, TC-BT77-*).
// A profile is data: which libbpf behaviours differ between the bpftool builds we reproduce.

export type ToolchainProfileName = 'bpftool-7.7' | 'bpftool-7.1';

export interface ToolchainProfile {
  readonly name: ToolchainProfileName;
  readonly bpftool: string;
  readonly libbpf: string;
  /** libbpf ≥ 1.3: an internal map is BPF_F_MMAPABLE only if its DATASEC has a global VAR;
   *  libbpf 1.1 marks every internal map mmap-able. */
  readonly mmapableNeedsGlobalVar: boolean;
  /** libbpf ≥ 1.2 turns hidden global variables into static BTF VARs at open time. */
  readonly hiddenVarsStatic: boolean;
  /** libbpf 1.7 stores a kfunc's BTF fd into fd_array before checking for vmlinux BTF. */
  readonly kfuncStoreFdFirst: boolean;
  /** libbpf ≥ 1.3 loads usdt programs with expected_attach_type BPF_TRACE_UPROBE_MULTI (loader mode
   *  assumes the kernel supports multi-uprobe links). */
  readonly usdtUprobeMulti: boolean;
  /** bpftool ≥ 7.7 can sign (-S): gen_hash + signature fields in the header. */
  readonly canSign: boolean;
  /** .lskel.h style: 7.1 assigns string literals directly; 7.7 uses static arrays and casts. */
  readonly headerStyle: 'v7.1' | 'v7.7';
}

export const PROFILES: Record<ToolchainProfileName, ToolchainProfile> = {
  'bpftool-7.7': {
    name: 'bpftool-7.7', bpftool: 'v7.7.0', libbpf: 'v1.7',
    mmapableNeedsGlobalVar: true, hiddenVarsStatic: true, usdtUprobeMulti: true, kfuncStoreFdFirst: true, canSign: true, headerStyle: 'v7.7',
  },
  'bpftool-7.1': {
    name: 'bpftool-7.1', bpftool: 'v7.1.0', libbpf: 'v1.1',
    mmapableNeedsGlobalVar: false, hiddenVarsStatic: false, usdtUprobeMulti: false, kfuncStoreFdFirst: false, canSign: false, headerStyle: 'v7.1',
  },
};
