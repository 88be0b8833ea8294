/**
 * An endpoint's memory in its --state folder: the pinned trust policy (`policy.json`) and the
 * saved state (`state.json`). Shared by `crosscheck verify` and `crosscheck update`: load before
 * deciding, save — atomically, and only after the release was accepted — afterwards.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseEnvelope } from "../attest/index.js";
import { loadTrustedPolicy, openPolicy, type TrustedPolicy } from "../policy/index.js";
import { writeFileDurably } from "../store/index.js";
import { EMPTY_STATE, type EndpointState, parseEndpointState } from "../verify/index.js";
import { readTextFile } from "./files.js";

export interface EndpointMemory {
  policy: TrustedPolicy;
  state: EndpointState;
  /** Replaces the pinned policy and the state, each atomically. */
  save(state: EndpointState): void;
}

/** Opens the offered policy against the pinned one (first use pins it) and reads the state. */
export function loadEndpointMemory(
  stateDir: string,
  policyFile: string,
  now: Date,
): EndpointMemory {
  mkdirSync(stateDir, { recursive: true });
  const policyPath = join(stateDir, "policy.json");
  const statePath = join(stateDir, "state.json");
  const offered = parseEnvelope(readTextFile(policyFile, "trust policy", 1 << 20));
  const policy = existsSync(policyPath)
    ? openPolicy(offered, {
        trusted: loadTrustedPolicy(
          parseEnvelope(readTextFile(policyPath, "pinned trust policy", 1 << 20)),
        ),
        now,
      })
    : openPolicy(offered, { now });
  const state = existsSync(statePath)
    ? parseEndpointState(readTextFile(statePath, "endpoint state"))
    : EMPTY_STATE;
  return {
    policy,
    state,
    save(next) {
      writeFileDurably(policyPath, `${JSON.stringify(policy.envelope, null, 2)}\n`);
      writeFileDurably(statePath, `${JSON.stringify(next, null, 2)}\n`);
    },
  };
}
