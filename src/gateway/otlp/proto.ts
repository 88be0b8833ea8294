/**
 * The protobuf messages of OTLP logs (opentelemetry-proto: collector/logs/v1/logs_service.proto,
 * logs/v1/logs.proto, common/v1/common.proto, resource/v1/resource.proto), declared in code so the
 * wire format is pinned here rather than loaded from .proto files at run time. Field numbers are
 * the spec's; names are the lowerCamelCase JSON names, so `toObject` yields the OTLP/JSON shape.
 * Packages are flattened into one namespace: only field numbers and types reach the wire.
 */
import protobuf from "protobufjs";

const repeated = (type: string, id: number) => ({ rule: "repeated", type, id });

const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportLogsServiceRequest: { fields: { resourceLogs: repeated("ResourceLogs", 1) } },
        ResourceLogs: {
          fields: {
            resource: { type: "Resource", id: 1 },
            scopeLogs: repeated("ScopeLogs", 2),
            schemaUrl: { type: "string", id: 3 },
          },
        },
        Resource: {
          fields: {
            attributes: repeated("KeyValue", 1),
            droppedAttributesCount: { type: "uint32", id: 2 },
          },
        },
        ScopeLogs: {
          fields: {
            scope: { type: "InstrumentationScope", id: 1 },
            logRecords: repeated("LogRecord", 2),
            schemaUrl: { type: "string", id: 3 },
          },
        },
        InstrumentationScope: {
          fields: {
            name: { type: "string", id: 1 },
            version: { type: "string", id: 2 },
            attributes: repeated("KeyValue", 3),
            droppedAttributesCount: { type: "uint32", id: 4 },
          },
        },
        LogRecord: {
          fields: {
            timeUnixNano: { type: "fixed64", id: 1 },
            // SeverityNumber is an enum; int32 is the same varint on the wire and keeps values
            // newer than this table.
            severityNumber: { type: "int32", id: 2 },
            severityText: { type: "string", id: 3 },
            body: { type: "AnyValue", id: 5 },
            attributes: repeated("KeyValue", 6),
            droppedAttributesCount: { type: "uint32", id: 7 },
            flags: { type: "fixed32", id: 8 },
            traceId: { type: "bytes", id: 9 },
            spanId: { type: "bytes", id: 10 },
            observedTimeUnixNano: { type: "fixed64", id: 11 },
            eventName: { type: "string", id: 12 },
          },
        },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                "stringValue",
                "boolValue",
                "intValue",
                "doubleValue",
                "arrayValue",
                "kvlistValue",
                "bytesValue",
              ],
            },
          },
          fields: {
            stringValue: { type: "string", id: 1 },
            boolValue: { type: "bool", id: 2 },
            intValue: { type: "int64", id: 3 },
            doubleValue: { type: "double", id: 4 },
            arrayValue: { type: "ArrayValue", id: 5 },
            kvlistValue: { type: "KeyValueList", id: 6 },
            bytesValue: { type: "bytes", id: 7 },
          },
        },
        ArrayValue: { fields: { values: repeated("AnyValue", 1) } },
        KeyValueList: { fields: { values: repeated("KeyValue", 1) } },
        KeyValue: {
          fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } },
        },
        ExportLogsServiceResponse: {
          fields: { partialSuccess: { type: "ExportLogsPartialSuccess", id: 1 } },
        },
        // google.rpc.Status, the body of every OTLP/HTTP error answer (details left out).
        Status: {
          fields: { code: { type: "int32", id: 1 }, message: { type: "string", id: 2 } },
        },
        ExportLogsPartialSuccess: {
          fields: {
            rejectedLogRecords: { type: "int64", id: 1 },
            errorMessage: { type: "string", id: 2 },
          },
        },
      },
    },
  },
});

export const ExportLogsServiceRequest = root.lookupType("otlp.ExportLogsServiceRequest");
export const ExportLogsServiceResponse = root.lookupType("otlp.ExportLogsServiceResponse");
export const Status = root.lookupType("otlp.Status");
