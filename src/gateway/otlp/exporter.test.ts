/**
 * What real OpenTelemetry SDK exporters send, and how they take our answers. A plain loopback
 * server stands in for the gateway route; `@opentelemetry/api` and `@opentelemetry/resources` are
 * the SDK's own (peer) dependencies, used here to watch its diagnostics and to set a resource.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type DiagLogger, DiagLogLevel, diag } from "@opentelemetry/api";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
} from "@opentelemetry/sdk-logs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeLogsRequest, encodeLogsResponse, otlpEncodingOf, toGatewayRecord } from "./index.js";

interface Captured {
  contentType: string | undefined;
  body: Buffer;
}

type Responder = (captured: Captured, res: ServerResponse, index: number) => void;

const captured: Captured[] = [];
let respond: Responder = (_c, res) => res.writeHead(200).end();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const c = { contentType: req.headers["content-type"], body: Buffer.concat(chunks) };
      captured.push(c);
      respond(c, res, captured.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  captured.length = 0;
  respond = (_c, res) => res.writeHead(200).end();
  diag.disable();
});

const exporters = {
  json: () => new JsonLogExporter({ url }),
  protobuf: () => new ProtoLogExporter({ url }),
} as const;

/** Wraps an exporter to see the result the SDK reaches for each export. */
function recording(exporter: LogRecordExporter, results: number[]): LogRecordExporter {
  return {
    export: (logs, done) =>
      exporter.export(logs, (result) => {
        results.push(result.code);
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

const SUCCESS = 0; // ExportResultCode.SUCCESS

async function emitScanEvent(exporter: LogRecordExporter) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": "av-agent", "host.arch": "amd64" }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger("scanner", "1.2.3");
  logger.emit({
    eventName: "scan.finished",
    timestamp: new Date("2026-11-23T10:00:00.123Z"),
    severityNumber: 9,
    severityText: "INFO",
    body: { verdict: "clean", files: 3, nested: { list: [1, "two", false] } },
    attributes: {
      "file.count": 42,
      "scan.ratio": 0.25,
      "scan.full": true,
      "engine.name": "clam",
      "threat.names": ["Eicar-Test", "Win.Trojan"],
      "big.count": 2 ** 40,
    },
  });
  await provider.forceFlush();
  await provider.shutdown();
}

describe.each(["json", "protobuf"] as const)("the %s OTLP exporter", (encoding) => {
  it("sends a request whose every value decodes as it was emitted", async () => {
    await emitScanEvent(exporters[encoding]());

    expect(captured).toHaveLength(1);
    const request = captured[0] as Captured;
    expect(otlpEncodingOf(request.contentType)).toBe(encoding);
    const records = decodeLogsRequest(request.body, encoding);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      resource: { "service.name": "av-agent", "host.arch": "amd64" },
      scope: { name: "scanner", version: "1.2.3" },
      timeUnixNano: "1795428000123000000",
      severityNumber: 9,
      severityText: "INFO",
      eventName: "scan.finished",
      body: { verdict: "clean", files: 3, nested: { list: [1, "two", false] } },
      attributes: {
        "file.count": 42,
        "scan.ratio": 0.25,
        "scan.full": true,
        "engine.name": "clam",
        "threat.names": ["Eicar-Test", "Win.Trojan"],
        "big.count": 2 ** 40,
      },
    });
    // Emitted outside a span: no ids; observed time is set by the SDK at emit.
    expect(record?.traceId).toBeUndefined();
    expect(record?.spanId).toBeUndefined();
    expect(BigInt(record?.observedTimeUnixNano ?? "0")).toBeGreaterThan(0n);

    expect(toGatewayRecord(record as NonNullable<typeof record>)).toEqual({
      event: "scan.finished",
      time: "2026-11-23T10:00:00.123Z",
      severity_text: "INFO",
      verdict: "clean",
      files: 3,
      nested: { list: [1, "two", false] },
      "file.count": 42,
      "scan.ratio": 0.25,
      "scan.full": true,
      "engine.name": "clam",
      "threat.names": ["Eicar-Test", "Win.Trojan"],
      "big.count": 2 ** 40,
      resource: { "service.name": "av-agent", "host.arch": "amd64" },
    });
  });

  it("takes a partial success answer as a delivered export and reports the rejection", async () => {
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: () => {},
      warn: (message, ...args) => warnings.push([message, ...args].join(" ")),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.WARN);
    respond = (c, res) => {
      const encoding = otlpEncodingOf(c.contentType);
      res
        .writeHead(200, { "content-type": c.contentType })
        .end(
          encodeLogsResponse(
            { rejectedLogRecords: 1, errorMessage: "field user.email is not in the dictionary" },
            encoding,
          ),
        );
    };
    const results: number[] = [];
    await emitScanEvent(recording(exporters[encoding](), results));

    expect(results).toEqual([SUCCESS]);
    // The SDK parsed our body: it logs the partial success it found in it.
    const warning = warnings.find((w) => w.includes("Partial Success"));
    expect(warning).toContain("field user.email is not in the dictionary");
    expect(warning).toMatch(/"rejectedLogRecords":"?1"?/);
  });

  it("retries after a 429 with Retry-After and then delivers", async () => {
    const times: number[] = [];
    respond = (c, res, index) => {
      times.push(Date.now());
      if (index === 0) res.writeHead(429, { "retry-after": "1" }).end();
      else {
        const body = encodeLogsResponse({ rejectedLogRecords: 0 }, otlpEncodingOf(c.contentType));
        res.writeHead(200, { "content-type": c.contentType }).end(body);
      }
    };
    const results: number[] = [];
    await emitScanEvent(recording(exporters[encoding](), results));

    expect(captured).toHaveLength(2);
    expect(captured[1]?.body.equals(captured[0]?.body as Buffer)).toBe(true);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(900);
    expect(results).toEqual([SUCCESS]);
  });
});
