/**
 * An OpenTelemetry SDK pointed at the gateway: the real OTLP/HTTP log exporters (JSON and
 * protobuf) send EDR events through `/v1/logs`; what reaches the vendor is declared, redacted
 * JSON, and a record the dictionary does not declare is reported back as OTLP partial success.
 */
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
} from "@opentelemetry/sdk-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportLogsServiceRequest } from "../src/gateway/otlp/proto.js";
import {
  eventually,
  type GatewayWorld,
  gatewayConfig,
  HOST_ID,
  newId,
  startGatewayWorld,
  Upstream,
} from "./support/gateway-world.js";

describe.each(["json", "protobuf"] as const)(
  "an OpenTelemetry %s log exporter through the gateway",
  (encoding) => {
    const eu = new Upstream();
    const us = new Upstream();
    let world: GatewayWorld;

    beforeAll(async () => {
      await eu.start();
      await us.start();
      world = await startGatewayWorld(gatewayConfig(eu, us));
    });
    afterAll(async () => {
      await world?.close();
      await eu.stop();
      await us.stop();
    });

    it("delivers declared events, redacted, and reports undeclared ones as rejected", async () => {
      const options = { url: `${world.url}/v1/logs`, headers: world.auth("acme-eu") };
      const exporter =
        encoding === "json" ? new JsonLogExporter(options) : new ProtoLogExporter(options);
      const results: number[] = [];
      const recording: LogRecordExporter = {
        export: (logs, done) =>
          exporter.export(logs, (result) => {
            results.push(result.code);
            done(result);
          }),
        shutdown: () => exporter.shutdown(),
        forceFlush: () => exporter.forceFlush(),
      };
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({
          "service.name": "edr-agent",
          "service.version": "7.4.1",
        }),
        processors: [new BatchLogRecordProcessor({ exporter: recording })],
      });
      const logger = provider.getLogger("edr.sensor", "7.4.1");
      const id = newId();
      logger.emit({
        eventName: "process_start",
        timestamp: new Date(),
        severityText: "INFO",
        attributes: {
          id,
          host_id: HOST_ID,
          pid: 4242,
          ppid: 612,
          image_path: "C:\\Users\\mrossi\\AppData\\Local\\Temp\\setup.exe",
          command_line:
            "setup.exe /quiet /log C:\\Users\\mrossi\\setup.log /mail mario.rossi@example.it",
          sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          user: "CORP\\mrossi",
          signer: "Example Software Ltd",
          integrity: "medium",
        },
      });
      const undeclared = newId();
      logger.emit({
        eventName: "clipboard_copy",
        timestamp: new Date(),
        attributes: { id: undeclared, host_id: HOST_ID, text: "quarterly numbers" },
      });
      await provider.forceFlush();
      await provider.shutdown();

      // OTLP partial success is a successful export for the SDK: nothing is retried or lost.
      expect(results).toEqual([0]);
      await eventually(() => eu.records().some((x) => x.id === id));
      const out = eu.records().find((x) => x.id === id) as Record<string, unknown>;
      expect(out).toMatchObject({
        event: "process_start",
        pid: 4242,
        integrity: "medium",
        resource: { "service.name": "edr-agent", "service.version": "7.4.1" },
      });
      const text = JSON.stringify(out);
      expect(text).not.toContain("mrossi");
      expect(text).not.toContain("mario.rossi@example.it");
      expect(String(out.command_line)).toContain("[EMAIL]");
      expect(String(out.user)).toMatch(/^DOMAIN_ACCOUNT_[0-9a-f]{16}$/);
      expect(eu.records().some((x) => x.id === undeclared)).toBe(false);
    });

    it("answers partial success and errors in the exporter's own encoding", async () => {
      const request = {
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: ["process_start", "clipboard_copy"].map((eventName) => ({
                  timeUnixNano: String(Date.now() * 1e6),
                  eventName,
                  attributes: [
                    { key: "id", value: { stringValue: newId() } },
                    { key: "host_id", value: { stringValue: HOST_ID } },
                    { key: "pid", value: { intValue: 7 } },
                    { key: "image_path", value: { stringValue: "C:\\Windows\\notepad.exe" } },
                  ],
                })),
              },
            ],
          },
        ],
      };
      const body =
        encoding === "json"
          ? Buffer.from(JSON.stringify(request))
          : Buffer.from(
              ExportLogsServiceRequest.encode(
                ExportLogsServiceRequest.fromObject(request),
              ).finish(),
            );
      const contentType = encoding === "json" ? "application/json" : "application/x-protobuf";
      const send = (headers: Record<string, string>) =>
        fetch(`${world.url}/v1/logs`, {
          method: "POST",
          headers: { "content-type": contentType, ...headers },
          body,
        });
      // The SDK's own deserializer reads our answer.
      const serializer = encoding === "json" ? JsonLogsSerializer : ProtobufLogsSerializer;
      const ok = await send(world.auth("acme-eu"));
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toContain(contentType);
      const answer = serializer.deserializeResponse(new Uint8Array(await ok.arrayBuffer()));
      expect(Number(answer.partialSuccess?.rejectedLogRecords)).toBe(1);
      expect(answer.partialSuccess?.errorMessage).toContain("E_EVENT_UNDECLARED");

      // An error is a google.rpc.Status in the same encoding: UNAUTHENTICATED (16) here.
      const denied = await send({ authorization: "Bearer nobody" });
      expect(denied.status).toBe(401);
      expect(denied.headers.get("content-type")).toContain(contentType);
      const bytes = Buffer.from(await denied.arrayBuffer());
      if (encoding === "json") {
        const status = JSON.parse(bytes.toString("utf8"));
        expect(status.code).toBe(16);
        expect(status.message).toMatch(/^E_UNAUTHORIZED: /);
      } else {
        // field 1 (varint) = 16, then field 2 (bytes): the message
        expect([...bytes.subarray(0, 3)]).toEqual([0x08, 0x10, 0x12]);
        expect(bytes.toString("utf8")).toContain("E_UNAUTHORIZED: ");
      }
    });
  },
);
