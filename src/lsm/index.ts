export * from './hooks.js';
export { LsmChain, type HookRecorder } from './chain.js';
export { capabilityModule } from './capability.js';
export { policyModule } from './policy.js';
export { createLsms, findLsm, lsmFactories, LsmConfigError, registerLsm, type LsmFactory, type LsmOptions } from './registry.js';
export { denyUnsignedModule, signatureAuditModule } from './policies.js';
export { verdictKeyringAllowlistModule, verdictVerifiedModule } from './verdict-policies.js';
export * from './ipe/index.js';
