/**
 * API tokens at service start: the configured tokens replace the stored ones, so a token taken
 * out of the configuration stops working at the next start (SQLite and PostgreSQL).
 */
import { describe, expect, it } from "vitest";
import { openReleaseStore } from "../src/releases/index.js";
import { migrate } from "../src/store/index.js";
import { backends } from "./support/backends.js";

for (const backend of backends) {
  describe.skipIf(!backend.available)(`API tokens on ${backend.name}`, () => {
    it("revokes a token left out of the configuration when tokens are replaced", async () => {
      const made = await backend.create();
      try {
        await migrate(made.database);
        const store = openReleaseStore(made.database);
        const at = "2026-11-23T12:00:00Z";
        const vendor = { tokenSha256: "aa".repeat(32), role: "vendor" as const, name: "acme" };
        const reviewer = { tokenSha256: "bb".repeat(32), role: "reviewer" as const, name: "alpha" };
        await store.replaceTokens([vendor, reviewer], at);
        expect(await store.tokenRole(vendor.tokenSha256)).toEqual({ role: "vendor", name: "acme" });
        await store.replaceTokens([reviewer], at);
        expect(await store.tokenRole(vendor.tokenSha256)).toBeUndefined();
        expect(await store.tokenRole(reviewer.tokenSha256)).toEqual({
          role: "reviewer",
          name: "alpha",
        });
        await store.replaceTokens([], at);
        expect(await store.tokenRole(reviewer.tokenSha256)).toBeUndefined();
      } finally {
        await made.dispose();
      }
    });
  });
}
