import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Registers toLoad, toFailAt, toHaveCalledHook, toHaveAuditRecord, toBeFalsePositive in every file.
    setupFiles: ['bpfsig/testing/setup'],
    testTimeout: 60_000,
  },
});
