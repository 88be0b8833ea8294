/**
 * The personal-data scanner of the telemetry gateway: finds personal data in one string field
 * value, also when it is base64, hex, URL-encoded, JSON inside a string or gzipped, and redacts
 * it. The gateway picks the entities to look for from the data dictionary's field type.
 */
export * from "./entities.js";
export { redactText } from "./redact.js";
export { type PiiFinding, type ScanLimits, type ScanOptions, scanText } from "./scan.js";
