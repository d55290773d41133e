// Moved to the leaf ABI package (issue K): abi/memory.ts. This path stays for
// the modules and branches that import it here.
export * from '../abi/memory.js';
