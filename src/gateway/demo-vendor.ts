/**
 * The demo's stand-in for a vendor's telemetry intake of one region (`crosscheck serve` on a
 * demo folder runs one listener per region): it accepts what the gateway forwards,
 * honours Idempotency-Key as a real intake must for exactly-once delivery, and shows what
 * arrived — so a newcomer can see what left, redacted, and where it went.
 *
 *   POST /ingest     what the gateway sends
 *   GET  /           counts and the newest records received
 */
import type { FastifyInstance, FastifyRequest } from "fastify";

const KEEP = 50;

interface RegionIntake {
  batches: number;
  records: number;
  samples: number;
  bytes: number;
  keys: Set<string>;
  newest: unknown[];
}

export async function demoVendorRoutes(
  app: FastifyInstance,
  options: { region: string },
): Promise<void> {
  const intake: RegionIntake = {
    batches: 0,
    records: 0,
    samples: 0,
    bytes: 0,
    keys: new Set(),
    newest: [],
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: 128 * 1024 * 1024 },
    (_r, body, done) => done(null, body),
  );

  app.post("/ingest", async (request: FastifyRequest) => {
    const key = String(request.headers["idempotency-key"] ?? "");
    if (key && intake.keys.has(key)) return { duplicate: true };
    if (key) intake.keys.add(key);
    const body = request.body as Buffer;
    intake.batches++;
    intake.bytes += body.length;
    if (String(request.headers["content-type"]).startsWith("application/x-ndjson")) {
      for (const line of body.toString("utf8").split("\n")) {
        if (!line) continue;
        intake.records++;
        intake.newest.push(JSON.parse(line));
      }
    } else {
      intake.samples++;
      intake.newest.push({
        sample: request.headers["x-sample-sha256"],
        type: request.headers["x-sample-type"],
        size: body.length,
      });
    }
    intake.newest.splice(0, Math.max(0, intake.newest.length - KEEP));
    return { accepted: true };
  });

  app.get("/", async () => {
    return {
      region: options.region,
      batches: intake.batches,
      records: intake.records,
      samples: intake.samples,
      bytes: intake.bytes,
      newest: intake.newest,
    };
  });
}
