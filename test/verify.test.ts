import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyRelease } from "../src/verify/index.js";
import { ARTIFACT, NOW, type World, world } from "./support/release-world.js";

describe("verifyRelease on a valid bundle", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => {
    await w.close();
  });

  it("accepts it and says what to save", async () => {
    const bundle = await w.bundle(w.parts());
    const result = verifyRelease({
      bundle,
      artifact: ARTIFACT,
      policy: w.policy,
      channel: "sigdb",
      now: NOW,
    });
    expect(result.release.version).toBe("2026.11.23.1");
    expect(result.approvedBy.sort()).toEqual(["Alpha Labs", "Beta Review"]);
    expect(result.consistency).toBe("first-use");
    expect(result.state.channels.sigdb?.version).toBe("2026.11.23.1");
  });
});
