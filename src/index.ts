// Public API of bpfsig.

// The built-in schemes register their kernel profiles and toolchains.
export * from './schemes/index.js';

export * from './syscall/errno.js';
export * from './syscall/memory.js';
export { Kernel, type KernelOptions } from './syscall/kernel.js';
export { Process, type ProcessOptions } from './syscall/process.js';
export type { SysResult } from './syscall/result.js';
export { makeCred, Cap, type Cred, type CapName } from './syscall/creds.js';
export * from './syscall/uapi/consts.js';
export * as layouts from './syscall/uapi/attr-layouts.js';
export { decode, encode, type Layout, type FieldDef, type Decoded } from './syscall/uapi/layout.js';
export * from './syscall/profiles/index.js';
export { Trace, type TraceEvent } from './syscall/trace.js';
export { VirtualClock, RealClock, type Clock } from './syscall/clock.js';
export * from './lsm/index.js';
export * from './audit/index.js';
export { BpfClient, type MapCreateOpts } from './loader/bpf.js';
export { replayTranscript, type ReplayReport, type StepReport } from './scenarios/replay.js';
export { loadTranscript, type Transcript } from './scenarios/transcript.js';
export { renderTimeline } from './scenarios/timeline.js';
export { InputError } from './errors.js';
export * from './vm/index.js';
export * from './loader/index.js';

export * from './keys/index.js';
export * from './syscall/kernel-btf/index.js';


export { makeCertificate, makeSigningIdentity, type MadeCertificate, type CertificateOptions, type SigningIdentity } from './keys/make-cert.js';
export { readLightSkeleton, type LightSkeleton } from './loader/lskel-reader.js';
export { loadSkeleton, defaultFlow, type SkelRunOptions, type SkelResult } from './loader/skel-runtime.js';
export { candidateToolchains, signatureMatchBlock, skeletonFeatures, type SignatureMatchBlock, type SkeletonFeatures } from './loader/lskel-identify.js';
export { runSkeleton, applyTampers, parseTamper, KEYRING_IDS, type SkelRun, type RunSkeletonOptions, type Tamper, type KeyringName } from './scenarios/skel-run.js';
export { skelRunToJson, type SkelLoadJson } from './scenarios/skel-report.js';
export { timelineToJson, type TimelineCallJson, type TimelineEventJson } from './scenarios/timeline-json.js';
export { skelFacts, type SkelFacts } from './scenarios/skel-facts.js';
export { explainRun, type SkelPattern } from './scenarios/explain-skel.js';
export { runSchemeDemo, type SchemeDemo } from './scenarios/scheme-demo.js';
export * from './realkernel/index.js';
export { runCompare, recipeName, type CompareOptions, type CompareResult, type CompareCell, type CompareColumn, type Recipe } from './scenarios/compare/compare.js';
export { CASES, CASE_IDS, type CaseDef } from './scenarios/compare/cases.js';
export { cellFacts, type CellFacts } from './scenarios/compare/cell.js';
export { runClaims, type ClaimsReport } from './scenarios/claims/run-claims.js';
export { makeSkeleton, openObjectBytes, type MadeSkeleton } from './scenarios/make-skeleton.js';
