// Public entry points of the eBPF interpreter (src/vm/).

export * from './opcodes.js';
export * from './insn.js';
export * from './errors.js';
export { checkInsn, checkProgram, type CheckOptions } from './check.js';
export * from './decode.js';
export * from './helpers.js';
export * from './interpreter.js';
export * from './asm.js';
export * from './conformance.js';
export * from './disasm.js';
