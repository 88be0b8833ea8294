/**
 * The trust policy's public face (Decision 10), browser-safe: the document and its schema, the
 * C2SP tlog-policy it embeds, and the TUF-style rules for trusting a signed version.
 */
export * from "./document.js";
export * from "./tlog-policy.js";
export * from "./trust.js";
