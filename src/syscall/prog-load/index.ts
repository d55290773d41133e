// BPF_PROG_LOAD: the stage runner and contracts, the stages every kernel shares, and bpf_check's
// stages. Signature stages belong to the schemes (src/schemes/<name>/).

import { BPF_CHECK_STAGES } from './check.js';
import { loadStages, type LoadStage } from './load.js';
import './stages.js';

export {
  bpfProgLoad,
  loadStage,
  loadStages,
  registerLoadStage,
  StageOrderError,
  validateStageOrder,
  type LoadCtx,
  type LoadPhase,
  type LoadResource,
  type LoadStage,
} from './load.js';
export { bpfProgPut, bpfProgNewFd, bpfAuditProg } from './prog-fd.js';
export { bpfProgCalcDigest, digestInput } from './digest.js';
export {
  BPF_CHECK_ENTRY,
  BPF_CHECK_EXIT,
  BPF_CHECK_STAGES,
  CHECK_ATTACH_BTF_ID,
  CHECK_BTF_INFO,
  CHECK_CFG,
  Check,
  checkState,
  type Binding,
  type BindingPolicy,
  DO_CHECK,
  PROCESS_FD_ARRAY,
  RESOLVE_PSEUDO_LDIMM64,
} from './check.js';

/**
 * bpf_prog_load()'s stages in v6.18's order (spec 01 §5): LOAD-1..8, the signature slot A (LOAD-9,
 * whatever the scheme puts there, or nothing), LOAD-10..12, bpf_check (LOAD-13 and its steps),
 * LOAD-14..18. A scheme that checks elsewhere edits the list it gets back (withStages).
 */
export function kernelLoadStages(signatureSlot: readonly LoadStage[] = []): LoadStage[] {
  return [
    ...loadStages(['LOAD-1', 'LOAD-2', 'LOAD-3', 'LOAD-4', 'LOAD-5', 'LOAD-6', 'LOAD-7', 'LOAD-8']),
    ...signatureSlot,
    ...loadStages(['LOAD-10', 'LOAD-11', 'LOAD-12']),
    ...BPF_CHECK_STAGES,
    ...loadStages(['LOAD-14', 'LOAD-15', 'LOAD-16', 'LOAD-17', 'LOAD-18']),
  ];
}
