// Moved to the leaf ABI package (issue K): abi/errno.ts. This path stays for
// the modules and branches that import it here.
export * from '../abi/errno.js';
