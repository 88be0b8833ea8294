/**
 * The attestation formats' public face, browser-safe (nothing reachable from here imports
 * `node:`): DSSE envelopes, in-toto statements, our predicate types (release, review, head, rebuild) and
 * how an envelope becomes a log entry. Formats only: which keys and how many are enough is the
 * verifier's decision.
 */
export * from "./dsse.js";
export * from "./head.js";
export * from "./log-entry.js";
export * from "./predicates.js";
export * from "./rebuild.js";
export * from "./release.js";
export * from "./review.js";
export {
  Channel,
  Sha256Hex,
  schemaCheck,
  Timestamp,
  timestampMillis,
  Version,
} from "./schema.js";
export * from "./statement.js";
export * from "./version.js";
