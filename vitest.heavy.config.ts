/**
 * `npm run test:heavy`: the large-data tests (Decision 29: 10 million log entries, 100,000
 * releases, bulk-loaded straight into storage). They take minutes and gigabytes of temporary disk,
 * so `npm test` leaves them out (vitest.config.ts excludes test/heavy/); run them before resolving
 * an issue whose scale they check. One file at a time: each wants the whole machine.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/heavy/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
