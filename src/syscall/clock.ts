// Moved to the leaf ABI package (issue K): abi/clock.ts. This path stays for
// the modules and branches that import it here.
export * from '../abi/clock.js';
