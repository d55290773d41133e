// Real Debian kernels beside the emulator (spec 10; docs/realkernel.md).

export { RealKernelError, UNAVAILABLE_KINDS, type RealKernelErrorKind } from './errors.js';
export { debianKernel, debianKernels, profileForDebian, profileStatus, type DebianKernel, type ProfileChoice } from './kernels.js';
export { cacheDir, cacheListing, cachedKernel, fetchKernel } from './cache.js';
export { runOnRealKernel, type RealRun, type RealPlanInput, type RealPlanResult, type RealRunOptions } from './run.js';
export { lowerPlans, parseResults, realSteps, type Plan, type PlanStep, type RealStep } from './request.js';
export { skelLoadPlan, playBackSkeleton, type SkelPlan, type SkelRealOptions, type KnownFile } from './skel.js';
export { runSkeletonReal, realSkelToJson, realTimeline, type RealSkelRun, type RealSkelOptions } from './skel-load.js';
export { replayOnReal, loadPlan, type RealReplay } from './replay-real.js';
export { diffTranscript, type DiffReport, type DiffStep } from './differential.js';
export { differentialPlans, skeletonPlans, rawPlan, type CasePlan } from './cases.js';
export { makeBaseSignatures, mutations, corpusPlan, type BaseSignature, type Mutation } from './pkcs7-corpus.js';
export { extractVmlinuxBtf, cachedBuildBtf, fetchBuildBtf, buildBtf, buildBtfForProfile, buildOfProfile, type CachedBuildBtf } from './btf.js';
