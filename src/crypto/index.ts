/**
 * The crypto layer's public face, browser-safe: nothing reachable from here imports `node:`.
 * Servers additionally import ./node.ts (installNodeCrypto, key files).
 */
export * from "./ed25519.js";
export * from "./encoding.js";
export * from "./note.js";
export * from "./sha256.js";
