// Kernel profiles: the type, composition from fixes, and the registry the schemes fill.

export type { KernelConfig, KernelFix, KernelProfile } from './profile.js';
export { DEFAULT_CONFIG, deriveProfile, progSignatureRules, withStages } from './profile.js';
export { allProfiles, defaultProfile, getProfile, profileForRelease, profileLabel, profileNames, registerProfile } from './registry.js';
