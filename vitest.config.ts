import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Large-data tests run with `npm run test:heavy` (vitest.heavy.config.ts), never in `npm test`.
    exclude: [...configDefaults.exclude, "test/heavy/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests start real servers and child processes on a 2-core machine.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
