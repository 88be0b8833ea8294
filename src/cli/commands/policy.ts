import { readFileSync, statSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import {
  type Channel,
  type Envelope,
  envelopeDigest,
  parseEnvelope,
  serializeEnvelope,
} from "../../attest/index.js";
import { decodeSignerKey, parseVerifierKey } from "../../crypto/index.js";
import { readKeyFile } from "../../crypto/node.js";
import { CrosscheckError, isCrosscheckError } from "../../errors/index.js";
import {
  addPolicySignature,
  CHANNELS,
  countPolicySignatures,
  isRevoked,
  loadTrustedPolicy,
  MAX_POLICY_SIZE,
  noteKeyId,
  openPolicy,
  POLICY_TYPE,
  type PolicyDocument,
  parsePolicyDocument,
  parseTlogPolicy,
  serializePolicyDocument,
  signPolicy,
  type TrustedPolicy,
  validatePolicyDocument,
  verifiedRootSignatures,
} from "../../policy/index.js";
import { writeFileDurably } from "../../store/index.js";
import { parseCount, readSecretFile } from "../options.js";

/** Head lifetimes when --head-expiry does not say (Decision 6: short for signature updates). */
const DEFAULT_HEAD_EXPIRY: Record<Channel, number> = {
  product: 7 * 86400,
  sigdb: 86400,
  rules: 86400,
  dictionary: 7 * 86400,
};

export function policyCommand(): Command {
  const policy = new Command("policy").description(
    "The trust policy: root keys, log and witnesses, vendors, reviewers, thresholds, expiry.",
  );

  policy
    .command("init")
    .description("Write a new, unsigned trust policy document (version 1), validated.")
    .requiredOption("--out <file>", "where to write it; an existing file is never overwritten")
    .requiredOption("--root-key <vkey>", "a root verifier key (repeatable)", collect, [])
    .requiredOption(
      "--root-threshold <n>",
      "root signatures required",
      parseCount("--root-threshold"),
    )
    .requiredOption("--log-key <vkey>", "the log's verifier key")
    .option("--log-url <url>", "the log's URL, recorded in the log policy")
    .option(
      "--witness <name=vkey>",
      "a witness and its cosignature/v1 key (repeatable)",
      collect,
      [],
    )
    .option(
      "--witness-quorum <n>",
      "witness cosignatures required (default: all)",
      parseCount("--witness-quorum"),
    )
    .option(
      "--vendor-key <channel=vkey>",
      "a vendor key of a channel (repeatable); channels without one are not trusted",
      collect,
      [],
    )
    .option(
      "--reviewer <org=vkey>",
      "a reviewer key and its organisation (repeatable)",
      collect,
      [],
    )
    .option(
      "--review-threshold <k>",
      "distinct reviewer organisations that must approve",
      parseCount("--review-threshold"),
      1,
    )
    .option(
      "--rebuilder <org=vkey>",
      "a rebuilder key and its organisation (repeatable)",
      collect,
      [],
    )
    .option(
      "--rebuild-threshold <r>",
      "distinct rebuilder organisations that must reproduce a product build",
      parseCount("--rebuild-threshold"),
      0,
    )
    .option(
      "--head-expiry <channel=duration>",
      "lifetime of a channel's head, e.g. sigdb=24h (repeatable)",
      collect,
      [],
    )
    .option("--region <region>", "an audience region (repeatable)", collect, [])
    .option("--expires <duration>", "lifetime of this version, e.g. 365d", "365d")
    .option("--max-checkpoint-age <duration>", "oldest acceptable checkpoint, e.g. 24h", "24h")
    .action((opts: InitOptions) => {
      const document = initDocument(opts, new Date());
      writeNew(opts.out, serializePolicyDocument(document));
      process.stdout.write(
        `Wrote the unsigned trust policy version 1 to ${opts.out}. Sign it with ${document.root.threshold} root key(s): crosscheck policy sign ${opts.out} --key ROOT_KEY_FILE\n`,
      );
    });

  policy
    .command("sign")
    .description(
      "Sign a policy document (making an envelope) or add a signature to a signed policy.",
    )
    .argument("<file>", "the unsigned document or the signed policy")
    .requiredOption("--key <file>", "a root private key file (repeatable)", collect, [])
    .option("--key-passphrase-file <file>", "passphrase of encrypted key files")
    .option("--out <file>", "where to write the signed policy (default: replace FILE)")
    .action((file: string, opts: { key: string[]; keyPassphraseFile?: string; out?: string }) => {
      if (opts.key.length === 0) throw usage("Give the root key file to sign with: --key FILE.");
      const passphrase = opts.keyPassphraseFile
        ? readSecretFile(opts.keyPassphraseFile, "passphrase")
        : undefined;
      const keys = opts.key.map((path) => readKeyFile(path, { passphrase }));
      const input = readPolicyFile(file);
      let envelope: Envelope;
      let rest = keys;
      if (input.envelope) {
        envelope = input.envelope;
      } else {
        envelope = signPolicy(input.document, keys.slice(0, 1));
        rest = keys.slice(1);
      }
      for (const key of rest) envelope = addPolicySignature(envelope, key);
      const out = opts.out ?? file;
      writeAtomically(out, `${serializeEnvelope(envelope)}\n`);
      const count = countPolicySignatures(envelope);
      const rootIds = new Set(count.document.root.keys.map((k) => noteKeyId(parseVerifierKey(k))));
      for (const key of keys) {
        const id = noteKeyId(decodeSignerKey(key));
        process.stdout.write(
          rootIds.has(id)
            ? `Signed by ${id}, a root key of version ${count.document.version}.\n`
            : `Signed by ${id}, which is not a root key of version ${count.document.version}: it counts only towards a rotation from an earlier version.\n`,
        );
      }
      process.stdout.write(
        `${out}: ${count.verifiedRootKeyids.length} of the ${count.required} root signature(s) required.\n`,
      );
    });

  policy
    .command("show")
    .description("Summarise a policy and judge it; exits non-zero when it would be refused.")
    .argument("<file>", "the unsigned document or the signed policy")
    .option("--trusted <file>", "the signed policy trusted so far: judge FILE as its successor")
    .option("--at <time>", "judge expiry at this RFC 3339 time instead of now")
    .option("--json", "print JSON")
    .action((file: string, opts: { trusted?: string; at?: string; json?: boolean }) => {
      const now = opts.at ? parseTime(opts.at) : new Date();
      const trusted = opts.trusted ? loadTrusted(opts.trusted) : undefined;
      const report = showReport(readPolicyFile(file), trusted, now);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatReport(report));
      if (!report.verdict.ok) {
        throw new CrosscheckError(report.verdict.code, report.verdict.message);
      }
    });

  policy
    .command("rotate")
    .description(
      "Write the next version's unsigned document (same contents, fresh expiry) to edit, then sign with the old and the new root keys.",
    )
    .requiredOption("--from <file>", "the current signed policy")
    .requiredOption("--out <file>", "where to write the next version; never overwritten")
    .option("--expires <duration>", "lifetime of the new version, e.g. 365d", "365d")
    .action((opts: { from: string; out: string; expires: string }) => {
      const current = loadTrusted(opts.from);
      const next: PolicyDocument = {
        ...structuredClone(current.document),
        version: current.document.version + 1,
        expires: expiryAfter(new Date(), parseDuration("--expires", opts.expires)),
      };
      validatePolicyDocument(next);
      writeNew(opts.out, serializePolicyDocument(next));
      process.stdout.write(
        `Wrote version ${next.version} to ${opts.out}. Edit it, then sign it with ${current.document.root.threshold} root key(s) of version ${current.document.version} and the root threshold it names itself: crosscheck policy sign ${opts.out} --key …\n`,
      );
    });

  return policy;
}

interface InitOptions {
  out: string;
  rootKey: string[];
  rootThreshold: number;
  logKey: string;
  logUrl?: string;
  witness: string[];
  witnessQuorum?: number;
  vendorKey: string[];
  reviewer: string[];
  reviewThreshold: number;
  rebuilder: string[];
  rebuildThreshold: number;
  headExpiry: string[];
  region: string[];
  expires: string;
  maxCheckpointAge: string;
}

function initDocument(opts: InitOptions, now: Date): PolicyDocument {
  if (opts.rootKey.length === 0) throw usage("Give at least one --root-key VKEY.");
  const witnesses = opts.witness.map((w) => pair("--witness", w));
  if (witnesses.length === 0) {
    throw usage(
      "Give at least one --witness NAME=VKEY: checkpoints must be cosigned, and witnesses give them their time.",
    );
  }
  const quorum = opts.witnessQuorum;
  if (quorum !== undefined && (quorum < 1 || quorum > witnesses.length)) {
    throw usage(`--witness-quorum must be between 1 and the ${witnesses.length} witness(es).`);
  }
  const lines = [
    `log ${opts.logKey}${opts.logUrl ? ` ${opts.logUrl}` : ""}`,
    ...witnesses.map(([name, key]) => `witness ${name} ${key}`),
  ];
  if (witnesses.length === 1) {
    lines.push(`quorum ${witnesses[0]?.[0]}`);
  } else {
    const k = quorum === undefined || quorum === witnesses.length ? "all" : String(quorum);
    lines.push(
      `group witnesses ${k} ${witnesses.map(([name]) => name).join(" ")}`,
      "quorum witnesses",
    );
  }

  const headExpiry = { ...DEFAULT_HEAD_EXPIRY };
  for (const [channel, duration] of opts.headExpiry.map((h) => pair("--head-expiry", h))) {
    headExpiry[channelName("--head-expiry", channel)] = parseDuration("--head-expiry", duration);
  }
  const channels: PolicyDocument["channels"] = {};
  for (const [channel, key] of opts.vendorKey.map((v) => pair("--vendor-key", v))) {
    const name = channelName("--vendor-key", channel);
    const settings = channels[name] ?? {
      vendorKeys: [],
      reviewThreshold: opts.reviewThreshold,
      headExpiry: headExpiry[name],
    };
    settings.vendorKeys.push(key);
    channels[name] = settings;
  }
  const document: PolicyDocument = {
    type: POLICY_TYPE,
    version: 1,
    expires: expiryAfter(now, parseDuration("--expires", opts.expires)),
    root: { keys: opts.rootKey, threshold: opts.rootThreshold },
    log: {
      policy: `${lines.join("\n")}\n`,
      maxCheckpointAge: parseDuration("--max-checkpoint-age", opts.maxCheckpointAge),
    },
    regions: opts.region,
    channels,
    reviewers: opts.reviewer.map((r) => {
      const [organization, key] = pair("--reviewer", r);
      return { key, organization };
    }),
    rebuilders: opts.rebuilder.map((r) => {
      const [organization, key] = pair("--rebuilder", r);
      return { key, organization };
    }),
    rebuildThreshold: opts.rebuildThreshold,
    revoked: [],
  };
  // The same checks a signed policy gets, with messages that name the field.
  parseTlogPolicy(document.log.policy);
  validatePolicyDocument(document);
  return document;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage(message: string): CrosscheckError {
  return new CrosscheckError("E_USAGE", message);
}

/** `NAME=VALUE`, split at the first "=" (verifier keys may end in "=" padding). */
function pair(option: string, text: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0 || at === text.length - 1) {
    throw usage(`${option} takes NAME=VALUE, got ${JSON.stringify(text.slice(0, 80))}.`);
  }
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

function channelName(option: string, text: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(text)) {
    throw usage(
      `${option}: unknown channel ${JSON.stringify(text)} (channels: ${CHANNELS.join(", ")}).`,
    );
  }
  return text as Channel;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `24h`, `365d` → seconds. */
function parseDuration(option: string, text: string): number {
  const match = /^([1-9][0-9]{0,8})([smhd])$/.exec(text);
  if (!match) {
    throw usage(
      `${option} takes a duration like 90s, 30m, 24h or 365d, got ${JSON.stringify(text)}.`,
    );
  }
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

function expiryAfter(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseTime(text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw usage(
      `--at takes an RFC 3339 time like 2030-01-01T00:00:00Z, got ${JSON.stringify(text)}.`,
    );
  }
  return time;
}

type PolicyFile =
  | { envelope: Envelope; document?: undefined }
  | { envelope?: undefined; document: PolicyDocument };

/** Reads a policy file: a signed policy (DSSE envelope) or a plain document, bounded. */
function readPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    if (statSync(path).size > MAX_POLICY_SIZE) {
      throw new CrosscheckError(
        "E_POLICY_MALFORMED",
        `${path} is larger than 1 MiB: not a policy.`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (isCrosscheckError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CrosscheckError(
      "E_POLICY_FILE",
      code === "ENOENT"
        ? `No policy file at ${path}.`
        : `Cannot read ${path}: ${code ?? (err as Error).message}.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // parsePolicyDocument says what is wrong
  }
  try {
    if (typeof json === "object" && json !== null && "payloadType" in json) {
      return { envelope: parseEnvelope(text) };
    }
    return { document: parsePolicyDocument(text).document };
  } catch (err) {
    if (isCrosscheckError(err)) {
      throw new CrosscheckError(
        err.code === "E_ENVELOPE_MALFORMED" ? "E_POLICY_MALFORMED" : err.code,
        `${path}: ${err.message}`,
      );
    }
    throw err;
  }
}

function loadTrusted(path: string): TrustedPolicy {
  const file = readPolicyFile(path);
  if (!file.envelope) {
    throw new CrosscheckError(
      "E_POLICY_UNSIGNED",
      `${path} is an unsigned document; a trusted policy is a signed one (crosscheck policy sign).`,
    );
  }
  return loadTrustedPolicy(file.envelope);
}

/** Writes a new file, refusing to replace one. */
function writeNew(path: string, content: string): void {
  try {
    writeFileSync(path, content, { flag: "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CrosscheckError(
      code === "EEXIST" ? "E_POLICY_EXISTS" : "E_POLICY_FILE",
      code === "EEXIST"
        ? `${path} already exists; it was left untouched. Choose another --out.`
        : `Cannot write ${path}: ${code ?? (err as Error).message}.`,
    );
  }
}

/** Writes the file whole or not at all, with an error that names it. */
function writeAtomically(path: string, content: string): void {
  try {
    writeFileDurably(path, content);
  } catch (err) {
    throw new CrosscheckError(
      "E_POLICY_FILE",
      `Cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
}

interface KeyLine {
  keyid: string;
  revoked: boolean;
}

interface ShowReport {
  version: number;
  expires: string;
  signed: boolean;
  digest?: string;
  root: { threshold: number; keys: (KeyLine & { signed: boolean })[] };
  log: {
    key: string;
    maxCheckpointAge: number;
    witnesses: string[];
    groups: { name: string; threshold: "all" | "any" | number; members: string[] }[];
    quorum: string;
  };
  channels: Partial<
    Record<Channel, { vendorKeys: KeyLine[]; reviewThreshold: number; headExpiry: number }>
  >;
  reviewers: (KeyLine & { organization: string; channels: string[] | "all" })[];
  rebuilders: (KeyLine & { organization: string })[];
  rebuildThreshold: number;
  regions: string[];
  revoked: string[];
  signatures: {
    present: number;
    valid: number;
    required: number;
    byTrusted?: { version: number; valid: number; required: number };
  };
  verdict: { ok: true } | { ok: false; code: string; message: string };
}

function showReport(file: PolicyFile, trusted: TrustedPolicy | undefined, now: Date): ShowReport {
  const count = file.envelope ? countPolicySignatures(file.envelope) : undefined;
  const document = count?.document ?? (file.document as PolicyDocument);
  const line = (vkey: string): KeyLine => ({
    keyid: noteKeyId(parseVerifierKey(vkey)),
    revoked: isRevoked(document, vkey),
  });
  const signedBy = new Set(count?.verifiedRootKeyids ?? []);
  const log = parseTlogPolicy(document.log.policy);
  let verdict: ShowReport["verdict"];
  if (!file.envelope) {
    verdict = {
      ok: false,
      code: "E_POLICY_UNSIGNED",
      message: `This is an unsigned policy document: 0 signatures present, ${document.root.threshold} root signature(s) required. Sign it with crosscheck policy sign.`,
    };
  } else {
    try {
      openPolicy(file.envelope, { trusted, now });
      verdict = { ok: true };
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      verdict = { ok: false, code: err.code, message: err.message };
    }
  }
  const channels: ShowReport["channels"] = {};
  for (const channel of CHANNELS) {
    const settings = document.channels[channel];
    if (settings) {
      channels[channel] = {
        vendorKeys: settings.vendorKeys.map(line),
        reviewThreshold: settings.reviewThreshold,
        headExpiry: settings.headExpiry,
      };
    }
  }
  return {
    version: document.version,
    expires: document.expires,
    signed: file.envelope !== undefined,
    ...(file.envelope ? { digest: envelopeDigest(file.envelope) } : {}),
    root: {
      threshold: document.root.threshold,
      keys: document.root.keys.map((k) => {
        const l = line(k);
        return { ...l, signed: signedBy.has(l.keyid) };
      }),
    },
    log: {
      key: noteKeyId(parseVerifierKey(log.logs[0]?.key ?? "")),
      maxCheckpointAge: document.log.maxCheckpointAge,
      witnesses: log.witnesses.map((w) => w.name),
      groups: log.groups,
      quorum: log.quorum,
    },
    channels,
    reviewers: document.reviewers.map((r) => ({
      ...line(r.key),
      organization: r.organization,
      channels: r.channels ?? "all",
    })),
    rebuilders: document.rebuilders.map((r) => ({ ...line(r.key), organization: r.organization })),
    rebuildThreshold: document.rebuildThreshold,
    regions: document.regions,
    revoked: document.revoked,
    signatures: {
      present: file.envelope?.signatures.length ?? 0,
      valid: signedBy.size,
      required: document.root.threshold,
      ...(trusted && file.envelope
        ? {
            byTrusted: {
              version: trusted.document.version,
              valid: verifiedRootSignatures(file.envelope, trusted).length,
              required: trusted.document.root.threshold,
            },
          }
        : {}),
    },
    verdict,
  };
}

function duration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function formatReport(r: ShowReport): string {
  const out: string[] = [];
  const mark = (k: KeyLine) => (k.revoked ? " (revoked)" : "");
  out.push(
    `Trust policy version ${r.version}, expires ${r.expires}${r.signed ? "" : " (unsigned document)"}`,
  );
  if (r.digest) out.push(`Digest: ${r.digest}`);
  out.push(`Root: ${r.root.threshold} of ${r.root.keys.length} keys`);
  for (const k of r.root.keys) out.push(`  ${k.keyid}${mark(k)}${k.signed ? "  signed" : ""}`);
  out.push(
    `Log: ${r.log.key}, checkpoints at most ${duration(r.log.maxCheckpointAge)} old`,
    `Witnesses: ${r.log.witnesses.join(", ")}; quorum ${r.log.quorum}`,
    ...r.log.groups.map((g) => `  group ${g.name}: ${g.threshold} of ${g.members.join(", ")}`),
    "Channels:",
  );
  for (const channel of CHANNELS) {
    const c = r.channels[channel];
    out.push(
      c
        ? `  ${channel}: vendor ${c.vendorKeys.map((k) => `${k.keyid}${mark(k)}`).join(", ")}; ${c.reviewThreshold} reviewer organisation(s); head expires after ${duration(c.headExpiry)}`
        : `  ${channel}: not trusted`,
    );
  }
  out.push(`Reviewers: ${r.reviewers.length}`);
  for (const v of r.reviewers) {
    const channels = v.channels === "all" ? "all channels" : v.channels.join(", ");
    out.push(`  ${v.organization}: ${v.keyid}${mark(v)} (${channels})`);
  }
  out.push(`Rebuilders: ${r.rebuilders.length}, ${r.rebuildThreshold} organisation(s) required`);
  for (const v of r.rebuilders) out.push(`  ${v.organization}: ${v.keyid}${mark(v)}`);
  out.push(`Regions: ${r.regions.length ? r.regions.join(", ") : "none (everyone only)"}`);
  if (r.revoked.length) out.push(`Revoked: ${r.revoked.length} key(s)`);
  out.push(
    `Signatures: ${r.signatures.valid} valid root signature(s) of ${r.signatures.required} required (${r.signatures.present} in the envelope)`,
  );
  const t = r.signatures.byTrusted;
  if (t) {
    out.push(`  by the trusted version ${t.version}'s root: ${t.valid} of ${t.required} required`);
  }
  out.push(
    r.verdict.ok
      ? "Verdict: trusted"
      : `Verdict: refused (${r.verdict.code}): ${r.verdict.message}`,
  );
  return `${out.join("\n")}\n`;
}
