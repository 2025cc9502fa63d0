import { defineConfig } from 'vitest/config';

// End-to-end tests: real Chromium (Debian's, via playwright-core) against the Vite app.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
