// v6.17: the last release before the signing series. spec: V617-1..7, UAPI-CONV-3 (152-byte attr).

import { DEFAULT_CONFIG, V6_18_PROG_LOAD_STAGES, type KernelProfile } from './profile.js';

export const V6_17: KernelProfile = {
  name: 'v6.17',
  summary: 'Linux 6.17, before the signing series: no signature, exclusive-map or map-hash UAPI',
  release: '6.17.0',
  lineage: [],
  fixes: [],
  uapi: new Set(),
  mapHash: { requireFrozen: false },
  progSignature: { sizeBound: null, copyFaultErrno: 'ENOMEM' },
  infoTailFromLastField: false,
  digest: 'sha1',
  structBpfMapHasSha: false,
  structBpfMapExcl: false,
  // v6.17 is v6.18's list without the signature step (LOAD-9), INFERRED in spec 01 §5.
  progLoadStages: V6_18_PROG_LOAD_STAGES.filter((id) => id !== 'LOAD-9'),
  config: DEFAULT_CONFIG,
};
