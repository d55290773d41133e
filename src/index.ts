// Public API of bpfsig.

export * from './syscall/errno.js';
export * from './syscall/memory.js';
export * from './loader/index.js';
