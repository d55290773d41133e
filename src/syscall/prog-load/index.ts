// BPF_PROG_LOAD: the stage registry and runner, and the stages registering themselves.

import './stages.js';
import './signature-stage.js';
import './check.js';

export { bpfProgLoad, registerLoadStage, loadStage, type LoadCtx, type LoadStage } from './load.js';
export { bpfProgPut, bpfProgNewFd, bpfAuditProg } from './prog-fd.js';
export { bpfProgCalcDigest, digestInput } from './digest.js';
