// Moved to the leaf ABI package (issue K): abi/uapi/attr-layouts.ts. This path stays for
// the modules and branches that import it here.
export * from '../../abi/uapi/attr-layouts.js';
