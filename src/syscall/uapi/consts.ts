// Moved to the leaf ABI package (issue K): abi/uapi/consts.ts. This path stays for
// the modules and branches that import it here.
export * from '../../abi/uapi/consts.js';
