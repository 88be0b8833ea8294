/**
 * What a page loads to verify a release itself (the Transparency Center does this): the verifier
 * core and the formats it reads, bundled by esbuild for the browser. It imports only the public
 * faces of the browser-facing components (plus a plain-JSON summary of the result), so a build
 * with `platform: "browser"` is itself the proof that none of them reaches a Node module.
 * Exposed on `globalThis.crosscheck`.
 */
import { parseEnvelope } from "../../src/attest/index.js";
import { sha256, toHex, utf8Encode } from "../../src/crypto/index.js";
import { parseCheckpoint } from "../../src/merkle/index.js";
import { openPolicy } from "../../src/policy/index.js";
import { parseBundle, parseEndpointState, verifyRelease } from "../../src/verify/index.js";
import { summarizeVerification } from "./verification-summary.js";

export const crosscheckPageApi = {
  parseBundle,
  parseCheckpoint,
  parseEndpointState,
  parseEnvelope,
  openPolicy,
  sha256,
  summarizeVerification,
  toHex,
  utf8Encode,
  verifyRelease,
};

export type CrosscheckPageApi = typeof crosscheckPageApi;

(globalThis as unknown as { crosscheck: CrosscheckPageApi }).crosscheck = crosscheckPageApi;
