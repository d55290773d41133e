// The bpf() command table: one module per command.

import type { BpfCommandFn } from '../kernel.js';
import { BpfCmd } from '../uapi/consts.js';
import { btfLoad } from './btf_load.js';
import { btfGetFdById } from './btf_get_fd_by_id.js';
import { mapCreate } from './map_create.js';
import { mapDeleteElem, mapGetNextKey, mapLookupAndDeleteElem, mapLookupElem, mapUpdateElem } from './map_elem.js';
import { mapFreeze } from './map_freeze.js';
import { objGetInfoByFd } from './obj_get_info.js';
import { bpfProgLoad } from '../prog-load/index.js';
import { progTestRun } from './prog_test_run.js';

export const BPF_COMMANDS: ReadonlyMap<number, BpfCommandFn> = new Map<number, BpfCommandFn>([
  [BpfCmd.BPF_MAP_CREATE, (ctx, attr, uattr) => mapCreate(ctx, attr, uattr)],
  [BpfCmd.BPF_MAP_LOOKUP_ELEM, (ctx, attr) => mapLookupElem(ctx, attr)],
  [BpfCmd.BPF_MAP_UPDATE_ELEM, (ctx, attr) => mapUpdateElem(ctx, attr)],
  [BpfCmd.BPF_MAP_DELETE_ELEM, (ctx, attr) => mapDeleteElem(ctx, attr)],
  [BpfCmd.BPF_MAP_GET_NEXT_KEY, (ctx, attr) => mapGetNextKey(ctx, attr)],
  [BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, (ctx, attr) => mapLookupAndDeleteElem(ctx, attr)],
  [BpfCmd.BPF_MAP_FREEZE, (ctx, attr) => mapFreeze(ctx, attr)],
  [BpfCmd.BPF_OBJ_GET_INFO_BY_FD, (ctx, attr, uattr) => objGetInfoByFd(ctx, attr, uattr)],
  [BpfCmd.BPF_BTF_LOAD, (ctx, attr, uattr, size) => btfLoad(ctx, attr, uattr, size)],
  [BpfCmd.BPF_BTF_GET_FD_BY_ID, (ctx, attr) => btfGetFdById(ctx, attr)],
  [BpfCmd.BPF_PROG_LOAD, (ctx, attr, uattr, size) => bpfProgLoad(ctx, attr, uattr, size)],
  [BpfCmd.BPF_PROG_TEST_RUN, (ctx, attr, uattr) => progTestRun(ctx, attr, uattr)],
]);
