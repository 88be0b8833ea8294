/**
 * The gateway as `crosscheck serve` runs it: it forwards nothing until a reviewed data dictionary
 * is published on the `dictionary` channel, then loads that release through the endpoint verifier
 * and checks telemetry against it; what reaches the (demo) vendor intake of the tenant's region is
 * redacted, and nothing of an EU tenant reaches the US intake.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoService, startDemoService } from "./support/demo-service.js";
import { eventually, fileWrite, ndjson, scriptBlock } from "./support/gateway-world.js";

const DICTIONARY = fileURLToPath(new URL("../examples/dictionary/edr.yaml", import.meta.url));

describe("the gateway inside crosscheck serve", () => {
  let service: DemoService;
  let intakes: Record<string, string>;

  beforeAll(async () => {
    service = await startDemoService();
    const config = JSON.parse(readFileSync(join(service.data, "gateway.json"), "utf8")) as {
      regions: { region: string; endpoints: { url: string }[] }[];
    };
    intakes = Object.fromEntries(
      config.regions.map((r) => [r.region, (r.endpoints[0]?.url ?? "").replace(/\/ingest$/, "")]),
    );
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  const send = (tenant: string, body: string) =>
    fetch(`${service.origin}/v1/events`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${service.token(tenant)}`,
        "content-type": "application/x-ndjson",
      },
      body,
    });

  it("forwards nothing before a dictionary is published, then only what it declares", async () => {
    const early = await send("demo-eu", ndjson([fileWrite()]));
    expect(early.status).toBe(503);
    expect((await early.json()).error.code).toBe("E_DICTIONARY_UNAVAILABLE");

    await service.publish("dictionary", "2026.11.23.1", DICTIONARY);
    await eventually(async () => {
      const s = (await (await fetch(`${service.origin}/api/v1/gateway/status`)).json()) as {
        dictionary: string | null;
      };
      return s.dictionary === "2026.11.23.1";
    });

    const clean = fileWrite();
    const personal = scriptBlock("Send-MailMessage -To alice.smith@example.com");
    const undeclared: Record<string, unknown> = { ...fileWrite(), clipboard: "quarterly numbers" };
    const response = await send("demo-eu", ndjson([clean, personal, undeclared]));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { forwarded: number; refused: { code: string }[] };
    expect(answer.forwarded).toBe(2);
    expect(answer.refused.map((r) => r.code)).toEqual(["E_FIELD_UNDECLARED"]);

    type Intake = { records: number; newest: Record<string, unknown>[] };
    const intake = async (region: string) =>
      (await (await fetch(`${intakes[region]}/`)).json()) as Intake;
    await eventually(async () => (await intake("eu")).records >= 2);
    const eu = await intake("eu");
    expect(eu.newest.find((r) => r.id === clean.id)).toEqual(clean);
    expect(eu.newest.find((r) => r.id === personal.id)?.script).toBe(
      "Send-MailMessage -To [EMAIL]",
    );
    expect(eu.newest.some((r) => r.id === undeclared.id)).toBe(false);
    expect((await intake("us")).records).toBe(0);
  }, 120_000);
});
