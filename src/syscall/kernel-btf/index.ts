// The emulated kernel's BTF pieces: vmlinux BTF (built in, or read from a file), kallsyms,
// bpf_btf_find_by_name_kind, CO-RE relocation at BPF_PROG_LOAD, and the func_info / line_info /
// core_relo checks of bpf_check.

export {
  builtinVmlinuxBtf, builtinVmlinux, loadVmlinuxBtf, BPF_LSM_PREFIX, BTF_TRACE_PREFIX, PERCPU_SECTION, type VmlinuxOptions,
} from './vmlinux.js';
export { LSM_HOOKS, KFUNCS, TRACED_FUNCS, TRACEPOINTS, PERCPU_VARS } from './vmlinux-funcs.js';
export { Kallsyms, KERNEL_TEXT_BASE, type KallsymsEntry, type KallsymsOptions, type KallsymsType } from './kallsyms.js';
export { btfFindByNameKind, kernelBtfFindByNameKind } from './btf-find.js';
export {
  bpfCoreApply, bpfCoreApplyOne, CoreCandCache, type CoreApplyCtx, type CoreReloRecord, type CoreReloResult,
} from './core-apply.js';
export { CoreReloKind, CORE_POISON_IMM, coreReloKindStr, type CoreRelo } from './relo-core.js';
export {
  bpfCheckBtfInfoEarly, bpfCheckBtfInfo, checkBtfFuncEarly, checkBtfFunc, checkBtfLine, checkCoreRelo, checkAbnormalReturn,
  findSubprogs, BPF_FUNC_INFO_SIZE, BPF_LINE_INFO_SIZE, BPF_CORE_RELO_SIZE, MIN_BPF_FUNCINFO_SIZE, MAX_FUNCINFO_REC_SIZE,
  type BtfInfoAttr, type BtfInfoResult, type FuncInfo, type FuncInfoAux, type LineInfo, type ProgBtf, type SubprogInfo,
} from './btf-info.js';
export { recordsFromBytes, checkTailZero, type RecordSource, type RecordCheck } from './records.js';
export {
  vmlinuxBtfSource, bootVmlinuxBtf, registerBuildBtfProvider, parseKernelBtfChoice, KernelBtfError,
  type KernelBtfChoice, type VmlinuxBtfKind, type VmlinuxBtfSource, type BuildBtf, type BuildBtfProvider,
} from './source.js';
