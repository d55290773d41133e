// Public API of bpfsig.

export * from './syscall/errno.js';
export * from './syscall/memory.js';
export * from './keys/index.js';
