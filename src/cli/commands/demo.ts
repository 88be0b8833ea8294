/**
 * The demo's data folder (Decision 1 and 17: a process that owns its folder may create its keys
 * there, and says so). `crosscheck serve` on a fresh folder makes: the log key, three root keys,
 * a vendor key, two reviewers of different organisations, a rebuilder, three witness keys, a trust
 * policy signed by two roots, and API tokens per role. Everything is a file in DIR a newcomer can look at.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateNoteKey, NOTE_KEY_TYPE_COSIGNATURE_V1 } from "../../crypto/index.js";
import { writeKeyFile } from "../../crypto/node.js";
import { CHANNELS, POLICY_TYPE, type PolicyDocument, signPolicy } from "../../policy/index.js";
import type { Role } from "../../releases/index.js";

export const DEMO_MARKER = "demo.json";
export const LOG_ORIGIN = "crosscheck.localhost/log";
export const REVIEWERS = [
  {
    file: "reviewer-alpha",
    name: "alpha.crosscheck.localhost/reviewer",
    organization: "Alpha Labs",
  },
  {
    file: "reviewer-beta",
    name: "beta.crosscheck.localhost/reviewer",
    organization: "Beta Review",
  },
] as const;
/** The demo's rebuilder: named in the policy, but with r = 0, so no demo release waits for it. */
export const REBUILDER = {
  file: "rebuilder",
  name: "rebuild.crosscheck.localhost/rebuilder",
  organization: "Demo Rebuilders",
} as const;
export const WITNESSES = ["w1", "w2", "w3"] as const;
export const TOKEN_ROLES: Record<string, Role> = {
  vendor: "vendor",
  "reviewer-alpha": "reviewer",
  "reviewer-beta": "reviewer",
  rebuilder: "rebuilder",
  admin: "admin",
  // The telemetry gateway's senders, one per demo tenant, and a read-only auditor.
  "demo-eu": "tenant",
  "demo-us": "tenant",
  auditor: "auditor",
};
/** The demo gateway's tenants and their regions; each region's vendor intake is in-process. */
export const DEMO_TENANTS = [
  { name: "demo-eu", region: "eu" },
  { name: "demo-us", region: "us" },
] as const;

export interface DemoFolder {
  dir: string;
  keys: string;
  policy: string;
  tokens: string;
}

export function demoPaths(dir: string): DemoFolder {
  return {
    dir,
    keys: join(dir, "keys"),
    policy: join(dir, "policy.json"),
    tokens: join(dir, "tokens"),
  };
}

export function isDemoFolder(dir: string): boolean {
  return existsSync(join(dir, DEMO_MARKER));
}

/** Whether DIR holds anything at all (a demo is only ever made in an empty or new folder). */
export function isFreshFolder(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

function key(dir: string, file: string, name: string, type?: number): string {
  const pair = generateNoteKey(name, type);
  writeKeyFile(join(dir, `${file}.key`), pair.signerKey);
  writeFileSync(join(dir, `${file}.vkey`), `${pair.verifierKey}\n`);
  return pair.verifierKey;
}

/** Creates the demo folder: keys, signed trust policy, token files. Returns what it made. */
export function createDemoFolder(dir: string): DemoFolder {
  const paths = demoPaths(dir);
  mkdirSync(paths.keys, { recursive: true, mode: 0o700 });
  mkdirSync(paths.tokens, { recursive: true, mode: 0o700 });
  const log = key(paths.keys, "log", LOG_ORIGIN);
  const roots = [1, 2, 3].map((i) =>
    key(paths.keys, `root-${i}`, `root-${i}.crosscheck.localhost`),
  );
  const vendor = key(paths.keys, "vendor", "vendor.crosscheck.localhost/releases");
  const reviewers = REVIEWERS.map((r) => key(paths.keys, r.file, r.name));
  const rebuilder = key(paths.keys, REBUILDER.file, REBUILDER.name);
  const witnesses = WITNESSES.map((w) =>
    key(
      paths.keys,
      `witness-${w}`,
      `${w}.demo-witness.crosscheck.localhost`,
      NOTE_KEY_TYPE_COSIGNATURE_V1,
    ),
  );
  const expires = new Date(Date.now() + 365 * 86400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const document: PolicyDocument = {
    type: POLICY_TYPE,
    version: 1,
    expires,
    root: { keys: roots, threshold: 2 },
    log: {
      policy: [
        `log ${log}`,
        ...witnesses.map((w, i) => `witness ${WITNESSES[i]} ${w}`),
        `group demo-witnesses 2 ${WITNESSES.join(" ")}`,
        "quorum demo-witnesses",
        "",
      ].join("\n"),
      maxCheckpointAge: 3600,
    },
    regions: [],
    channels: Object.fromEntries(
      CHANNELS.map((c) => [c, { vendorKeys: [vendor], reviewThreshold: 2, headExpiry: 86400 }]),
    ),
    reviewers: REVIEWERS.map((r, i) => ({
      key: reviewers[i] as string,
      organization: r.organization,
    })),
    rebuilders: [{ key: rebuilder, organization: REBUILDER.organization }],
    rebuildThreshold: 0,
    revoked: [],
  };
  const rootSigners = [1, 2].map((i) =>
    readFileSync(join(paths.keys, `root-${i}.key`), "utf8").trim(),
  );
  const envelope = signPolicy(document, rootSigners);
  writeFileSync(paths.policy, `${JSON.stringify(envelope, null, 2)}\n`);
  writeMissingTokens(paths);
  writeFileSync(
    join(dir, DEMO_MARKER),
    `${JSON.stringify({ demo: true, created: new Date().toISOString(), witnesses: WITNESSES }, null, 2)}\n`,
  );
  return paths;
}

/** Token files for every demo role that has none yet (folders made before a role existed too). */
export function writeMissingTokens(paths: DemoFolder): void {
  mkdirSync(paths.tokens, { recursive: true, mode: 0o700 });
  for (const name of Object.keys(TOKEN_ROLES)) {
    const file = join(paths.tokens, `${name}.token`);
    if (existsSync(file)) continue;
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  }
}

/**
 * The demo gateway's configuration: an EU and a US tenant, each region's only endpoint the demo
 * vendor intake of that region (separate listeners, since one origin may serve one region only).
 * Made at every start, with this start's intake addresses; written to `gateway.json` to be read.
 */
export function demoGatewayConfig(dir: string, intakes: Record<string, string>): unknown {
  const config = {
    name: "crosscheck.localhost/gateway",
    regions: DEMO_TENANTS.map((t) => ({
      region: t.region,
      endpoints: [{ url: `${intakes[t.region]}/ingest` }],
    })),
    tenants: DEMO_TENANTS.map((t) => ({ name: t.name, region: t.region })),
  };
  writeFileSync(join(dir, "gateway.json"), `${JSON.stringify(config, null, 2)}\n`);
  return config;
}

/** What a newcomer reads after the first start: what was made, where, and what to run next. */
export function demoInstructions(dir: string, url: string): string {
  const cli = "node dist/src/cli/main.js";
  const k = join(dir, "keys");
  const t = join(dir, "tokens");
  return `
Demo mode: this folder is owned by this process alone, so it created everything it needs in ${dir}:
  keys      ${k}/log.key (the log), root-1..3.key (trust policy roots), vendor.key,
            reviewer-alpha.key (Alpha Labs), reviewer-beta.key (Beta Review),
            rebuilder.key (Demo Rebuilders; \`crosscheck rebuild\` signs with it),
            witness-w1..w3.key (three DEMO witnesses, served by this same process under /demo-witness/)
  policy    ${join(dir, "policy.json")} (signed by root-1 and root-2; 2 of 3 witnesses; 2 reviewer organisations)
  tokens    ${t}/vendor.token, reviewer-alpha.token, reviewer-beta.token, rebuilder.token, admin.token, demo-eu.token,
            demo-us.token (gateway senders), auditor.token (stored hashed in the database)
The server holds the vendor key only to refresh channel heads; outside the demo the vendor signs them.

Next, in another terminal:
  echo 'rule demo { condition: false }' > demo.yar
  ${cli} release submit --server ${url} --token-file ${t}/vendor.token --key ${k}/vendor.key \\
      --channel rules --version 1.0.0 --artifact demo.yar
  ${cli} review list --server ${url}
  ${cli} review approve <RELEASE> --server ${url} --token-file ${t}/reviewer-alpha.token \\
      --key ${k}/reviewer-alpha.key --organization "Alpha Labs" --reviewer ada
  ${cli} review approve <RELEASE> --server ${url} --token-file ${t}/reviewer-beta.token \\
      --key ${k}/reviewer-beta.key --organization "Beta Review" --reviewer bob
  ${cli} update --server ${url} --channel rules --policy ${join(dir, "policy.json")} --state ./endpoint --install ./installed
API documentation: ${url}/api/docs   The log: ${url}/log/checkpoint

The telemetry gateway (${join(dir, "gateway.json")}: tenant demo-eu in region eu, demo-us in us)
forwards nothing until a reviewed data dictionary is published, like any other release:
  ${cli} release submit --server ${url} --token-file ${t}/vendor.token --key ${k}/vendor.key \\
      --channel dictionary --version 2026.11.23.1 --artifact examples/dictionary/edr.yaml
  (approve it as above, with both reviewers), then send telemetry as tenant demo-eu:
  echo '{"event":"script_block","id":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","time":"2026-11-23T10:00:00.000Z","host_id":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4c","script":"Send-Mail alice@example.com"}' > events.ndjson
  curl -H "Authorization: Bearer $(cat ${t}/demo-eu.token)" -H 'content-type: application/x-ndjson' \\
      --data-binary @events.ndjson ${url}/v1/events
  curl <demo vendor eu>/             what the (demo) vendor received: redacted, EU only (addresses in gateway.json)
  curl ${url}/api/v1/gateway/status  the gateway; its audit log: ${url}/gateway/log/checkpoint
`;
}
