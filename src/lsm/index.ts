export * from './hooks.js';
export { LsmChain, type HookRecorder } from './chain.js';
export { capabilityModule } from './capability.js';
export { policyModule } from './policy.js';
