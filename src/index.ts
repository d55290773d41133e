// The public API of bpfsig (docs/api.md): run a scenario, inspect the run. Everything else —
// the kernel, the loader, keys, LSMs, audit, the interpreter — is internal: the CLI, the tests and
// the benchmarks import those modules by path, and the package's `exports` map does not reach them.
// The vitest matchers are the separate entry `bpfsig/testing` (src/testing/).

// The built-in schemes register their kernel profiles and toolchains.
import './schemes/index.js';

export { runScenario, type ScenarioOptions, type RealScenarioOptions, type PathOrBytes } from './api/scenario.js';
export type { Run, RunSyscall, RunStage, RunHook, RunAuditRecord, RunFailure, RunDecision, RunTimelineOptions } from './api/run.js';
export { listProfiles, makeIdentity, type ProfileInfo, type Identity } from './api/profiles.js';
export { InputError } from './errors.js';
export { RealKernelError, type RealKernelErrorKind } from './realkernel/errors.js';

// Types the options refer to.
export type { KeyringName } from './scenarios/skel-run.js';
export type { RaceSchedule, RaceOp, RacePoint } from './scenarios/races.js';
export type { LsmModule } from './lsm/hooks.js';
export type { LsmOptions } from './lsm/registry.js';
export type { TimelineCallJson, TimelineEventJson } from './scenarios/timeline-json.js';
