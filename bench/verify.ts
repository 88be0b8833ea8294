/**
 * The verifier benchmark (issue 3, "Bundle and verifier"; Decision 24's way of stating a limit):
 * how many bundles per second `verifyRelease` accepts, against the physical limit of the same
 * run, and against @sigstore/verify doing comparable work.
 *
 *   npm run bench:verify -- [--seconds 1] [--rounds 7] [--tree-size 1000000]
 *
 * The bundle is realistic and built in-process: a sigdb release of three artifacts, its channel
 * head, approvals by two reviewer organisations, each envelope with its RFC 6962 inclusion proof
 * in a log of `--tree-size` entries, and one checkpoint signed by the log and cosigned by three
 * witnesses (cosignature/v1). The policy is the one the attack suite uses (five reviewers, one of
 * them revoked; a quorum of two of three witnesses). Node's crypto is installed first, as servers
 * and the CLI do.
 *
 * Figures, each the median of `--rounds` rounds of `--seconds` each, the measurements interleaved
 * round by round so that a loaded machine slows all of them alike:
 *
 *   verify.release            verifyRelease on the parsed bundle
 *   verify.release_from_json  parseBundle of the bundle's JSON text, then verifyRelease
 *   verify.limit              the 8 Ed25519 verifications one verification needs (1 release,
 *                             1 head, 2 reviews, the log's signature, 3 cosignatures), alone,
 *                             through the same backend and the same messages
 *   verify.overhead           (our time − limit) / limit, per round then the median; target 0.25
 *   verify.vs_sigstore        @sigstore/verify's Verifier on a v0.3 bundle holding one DSSE
 *                             envelope (Ed25519 public key), one Rekor `dsse` 0.0.1 tlog entry with
 *                             its inclusion proof and the same signed checkpoint, against our
 *                             library doing the same work (one DSSE envelope opened, its inclusion
 *                             proof checked, the checkpoint's log signature checked); ratio =
 *                             sigstore time / our time
 *
 * stdout carries one JSON object per line, nothing else; progress goes to stderr.
 */
import { createPublicKey, type KeyObject, randomFillSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { bundleFromJSON } from "@sigstore/bundle";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  envelopeLogEntry,
  openRelease,
  pae,
  publicKeyFromVerifierKey,
  type ReleasePredicate,
  signHead,
  signRelease,
  signReview,
} from "../src/attest/index.js";
import {
  bytesEqual,
  ed25519Verify,
  fromBase64,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  sha256,
  signNote,
  toBase64,
  toHex,
  utf8Encode,
} from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import {
  addCosignatures,
  cosignatureMessage,
  cosignatureSigner,
  formatCheckpoint,
  inclusionProof,
  leafHash,
  type NodeId,
  nodeHash,
  parseCheckpoint,
  rootFromInclusionProof,
} from "../src/merkle/index.js";
import { openPolicy, signPolicy, type TrustedPolicy } from "../src/policy/index.js";
import {
  BUNDLE_MEDIA_TYPE,
  type Bundle,
  parseBundle,
  serializeBundle,
  verifyRelease,
} from "../src/verify/index.js";
import { keys, policyDocument } from "../test/support/parties.js";
import { median } from "./output.js";

const SIGSTORE = "@sigstore/verify@3.1.1";
const NOW = new Date("2026-11-23T12:00:00Z");
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

interface Options {
  seconds: number;
  rounds: number;
  treeSize: number;
  /** Time only these paths (for profiling with `node --cpu-prof`); figures needing others are left out. */
  only?: string[];
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) usage(`unexpected argument ${arg}`);
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const value = argv[++i];
      if (value === undefined) usage(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
    }
  }
  for (const k of flags.keys()) {
    if (!["seconds", "rounds", "tree-size", "only"].includes(k)) usage(`unknown flag --${k}`);
  }
  const num = (name: string, fallback: number, min: number, max: number, int = false) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replaceAll("_", ""));
    if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isSafeInteger(n))) {
      usage(`--${name} must be ${int ? "a whole number " : ""}in [${min}, ${max}]`);
    }
    return n;
  };
  return {
    seconds: num("seconds", 1, 0.05, 600),
    rounds: num("rounds", 7, 1, 1000, true),
    treeSize: num("tree-size", 1_000_000, 8, 1 << 24, true),
    ...(flags.has("only") ? { only: (flags.get("only") as string).split(",") } : {}),
  };
}

function usage(message: string): never {
  process.stderr.write(`bench/verify: ${message}\n`);
  process.exit(2);
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[bench/verify ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// The world: keys, the trust policy, the envelopes, a log of `treeSize` entries holding them,
// and a cosigned checkpoint.

/** A Merkle tree of `size` leaves kept as one flat array of complete nodes per level. */
class FlatTree {
  readonly levels: Uint8Array[] = [];
  constructor(
    readonly size: number,
    placed: ReadonlyMap<number, Uint8Array>,
  ) {
    // Entries other than ours are random leaf hashes: a proof cannot tell the difference.
    const leaves = new Uint8Array(size * 32);
    randomFillSync(leaves);
    for (const [index, hash] of placed) leaves.set(hash, index * 32);
    this.levels.push(leaves);
    for (let below = leaves; below.length >= 64; ) {
      const count = Math.floor(below.length / 64);
      const level = new Uint8Array(count * 32);
      for (let i = 0; i < count; i++) {
        level.set(
          nodeHash(below.subarray(i * 64, i * 64 + 32), below.subarray(i * 64 + 32, i * 64 + 64)),
          i * 32,
        );
      }
      this.levels.push(level);
      below = level;
    }
  }
  node = (id: NodeId): Uint8Array => {
    const level = this.levels[id.level] as Uint8Array;
    return level.slice(id.index * 32, id.index * 32 + 32);
  };
  leaf(index: number): Uint8Array {
    return this.node({ level: 0, index });
  }
  proof(index: number): Uint8Array[] {
    return inclusionProof(index, this.size, this.node);
  }
  root(): Uint8Array {
    return rootFromInclusionProof(this.leaf(0), 0, this.size, this.proof(0));
  }
}

interface World {
  policy: TrustedPolicy;
  bundle: Bundle;
  /** The 8 (key, message, signature) triples one verification checks. */
  signatures: { publicKey: Uint8Array; message: Uint8Array; sig: Uint8Array }[];
  /** The same work for us and for sigstore: one envelope, one inclusion proof, one checkpoint. */
  unit: {
    envelope: Envelope;
    index: number;
    proof: Uint8Array[];
    checkpoint: string;
    vendorKeys: ReturnType<typeof publicKeyFromVerifierKey>[];
    logKey: string;
  };
  sigstoreJson: Record<string, unknown>;
  sigstoreKey: { hint: string; publicKey: Uint8Array };
  logPublicKey: Uint8Array;
  logKeyHash: number;
  logName: string;
}

function buildWorld(treeSize: number): World {
  const k = keys();
  const policy = openPolicy(
    signPolicy(policyDocument(k), [
      k.roots[0]?.signerKey as string,
      k.roots[1]?.signerKey as string,
    ]),
    { now: NOW },
  );
  const vendor = ed25519EnvelopeSigner(k.vendor.signerKey);
  const artifact = (name: string, size: number) => ({
    name,
    size,
    sha256: toHex(sha256(utf8Encode(`${name} ${size}`))),
  });
  const predicate: ReleasePredicate = {
    channel: "sigdb",
    version: "2026.11.23.1",
    artifacts: [
      artifact("main.cvd", 170_479_789),
      artifact("daily.cvd", 61_371_602),
      artifact("bytecode.cvd", 291_965),
    ],
    previous: { envelopeSha256: "ab".repeat(32) },
    audience: "everyone",
    published: "2026-11-23T10:00:00Z",
  };
  const release = signRelease(predicate, vendor);
  const releaseSha256 = envelopeDigest(release);
  const head = signHead(
    {
      channel: "sigdb",
      version: predicate.version,
      release: { envelopeSha256: releaseSha256 },
      issued: "2026-11-23T11:00:00Z",
      expires: "2026-11-24T11:00:00Z",
    },
    vendor,
  );
  const review = (reviewer: { signerKey: string; verifierKey: string }, organization: string) =>
    signReview(
      {
        verifier: { id: organization, reviewer: reviewer.verifierKey.split("+")[0] as string },
        timeVerified: "2026-11-23T10:30:00Z",
        release: { envelopeSha256: releaseSha256, channel: "sigdb", version: predicate.version },
        artifacts: predicate.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
        verdict: "approve",
        findings: {
          reportSha256: toHex(sha256(utf8Encode(`${organization} findings`))),
          count: { critical: 0, high: 0, medium: 2, low: 11 },
        },
        analyzers: [
          { name: "crosscheck-sigdb", version: "0.1.0" },
          { name: "sigtool", version: "1.4.1" },
        ],
        comment: "Signatures checked against the corpus; no detections of documents or user data.",
      },
      ed25519EnvelopeSigner(reviewer.signerKey),
    );
  const reviews = [review(k.alpha, "Alpha Labs"), review(k.beta, "Beta Review")];

  // The sigstore side: the same release envelope, in a Rekor v1 `dsse` 0.0.1 entry.
  const vendorPublic = parseVerifierKey(k.vendor.verifierKey).publicKey;
  const vendorPem = createPublicKey({
    key: Buffer.from(spkiOf(vendorPublic)),
    format: "der",
    type: "spki",
  }).export({ format: "pem", type: "spki" }) as string;
  const releaseSig = release.signatures[0]?.sig as string;
  const rekorBody = utf8Encode(
    JSON.stringify({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: releaseSha256 },
        payloadHash: { algorithm: "sha256", value: toHex(sha256(fromBase64(release.payload))) },
        signatures: [{ signature: releaseSig, verifier: toBase64(utf8Encode(vendorPem)) }],
      },
    }),
  );

  // Where the entries sit: the release first, reviews later, the head last, as in a busy log.
  const at = {
    release: treeSize - 5000,
    reviews: [treeSize - 3000, treeSize - 2500],
    head: treeSize - 10,
    rekor: treeSize - 4000,
  };
  if (at.release < 0) usage("--tree-size must be at least 5000");
  const placed = new Map<number, Uint8Array>([
    [at.release, leafHash(envelopeLogEntry(release))],
    [at.head, leafHash(envelopeLogEntry(head))],
    [at.reviews[0] as number, leafHash(envelopeLogEntry(reviews[0] as Envelope))],
    [at.reviews[1] as number, leafHash(envelopeLogEntry(reviews[1] as Envelope))],
    [at.rekor, leafHash(rekorBody)],
  ]);
  progress(`building a tree of ${treeSize} entries`);
  const tree = new FlatTree(treeSize, placed);
  const root = tree.root();
  const logName = "log.crosscheck.example";
  const body = formatCheckpoint({ origin: logName, size: treeSize, root, extensions: [] });
  const logSigner = parseSignerKey(k.log.signerKey);
  const witnessTime = NOW_SECONDS - 60;
  const checkpoint = addCosignatures(
    signNote(body, [logSigner]),
    k.witnesses.map((w) => cosignatureSigner(w.signerKey, () => witnessTime)),
  );

  const logged = (envelope: Envelope, index: number) => ({
    envelope,
    index,
    proof: tree.proof(index).map(toBase64),
  });
  const bundle: Bundle = {
    mediaType: BUNDLE_MEDIA_TYPE,
    release: logged(release, at.release),
    head: logged(head, at.head),
    reviews: reviews.map((r, i) => logged(r, at.reviews[i] as number)),
    checkpoint,
  };

  // The signature checks one verification needs, with exactly the messages it checks.
  const envelopeSignature = (envelope: Envelope, vkey: string) => ({
    publicKey: parseVerifierKey(vkey).publicKey,
    message: pae(envelope.payloadType, fromBase64(envelope.payload)),
    sig: fromBase64(envelope.signatures[0]?.sig as string),
  });
  const note = parseNote(checkpoint);
  const bodyBytes = utf8Encode(note.text);
  const signatures = [
    envelopeSignature(release, k.vendor.verifierKey),
    envelopeSignature(head, k.vendor.verifierKey),
    envelopeSignature(reviews[0] as Envelope, k.alpha.verifierKey),
    envelopeSignature(reviews[1] as Envelope, k.beta.verifierKey),
    {
      publicKey: parseVerifierKey(k.log.verifierKey).publicKey,
      message: bodyBytes,
      sig: (note.signatures[0] as { signature: Uint8Array }).signature,
    },
    ...k.witnesses.map((w, i) => {
      const s = (note.signatures[i + 1] as { signature: Uint8Array }).signature;
      return {
        publicKey: parseVerifierKey(w.verifierKey).publicKey,
        message: cosignatureMessage(bodyBytes, witnessTime),
        sig: s.subarray(8),
      };
    }),
  ];

  const logParsed = parseVerifierKey(k.log.verifierKey);
  const rekorProof = tree.proof(at.rekor);
  const hint = "vendor.example/releases";
  const sigstoreJson = {
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      publicKey: { hint },
      tlogEntries: [
        {
          logIndex: String(at.rekor),
          logId: { keyId: toBase64(rekorLogId(logParsed.keyHash)) },
          kindVersion: { kind: "dsse", version: "0.0.1" },
          integratedTime: String(witnessTime),
          inclusionProof: {
            logIndex: String(at.rekor),
            rootHash: toBase64(root),
            treeSize: String(treeSize),
            hashes: rekorProof.map(toBase64),
            checkpoint: { envelope: checkpoint },
          },
          canonicalizedBody: toBase64(rekorBody),
        },
      ],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: release.payload,
      payloadType: release.payloadType,
      signatures: [{ sig: releaseSig, keyid: "" }],
    },
  };

  return {
    policy,
    bundle,
    signatures,
    unit: {
      envelope: release,
      index: at.release,
      proof: tree.proof(at.release),
      checkpoint,
      vendorKeys: [publicKeyFromVerifierKey(k.vendor.verifierKey)],
      logKey: k.log.verifierKey,
    },
    sigstoreJson,
    sigstoreKey: { hint, publicKey: vendorPublic },
    logPublicKey: logParsed.publicKey,
    logKeyHash: logParsed.keyHash,
    logName,
  };
}

/** A Rekor-style log ID whose first four bytes are the note key hash (sigstore's key hint). */
function rekorLogId(keyHash: number): Uint8Array {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, keyHash, false);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Timing: run `fn` in batches until `seconds` have passed; microseconds per call.

function timeIt(fn: () => void, seconds: number): number {
  let calls = 0;
  let batch = 1;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    now = performance.now();
    if (now - start < 50) batch *= 2;
  }
  return ((now - start) * 1000) / calls;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

// ---------------------------------------------------------------------------------------------

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  installNodeCrypto();
  const world = buildWorld(options.treeSize);
  const { bundle, policy } = world;
  const bundleText = serializeBundle(bundle);
  const input = {
    policy,
    channel: "sigdb" as const,
    now: NOW,
    artifact: { sha256: artifactDigest(bundle) },
  };

  // Our verifier, from the parsed bundle and from its JSON text.
  const ours = () => {
    verifyRelease({ ...input, bundle });
  };
  const oursFromJson = () => {
    verifyRelease({ ...input, bundle: parseBundle(bundleText) });
  };
  // The limit: the 8 signature checks alone.
  const limit = () => {
    for (const s of world.signatures) {
      if (!ed25519Verify(s.publicKey, s.message, s.sig)) throw new Error("limit: bad signature");
    }
  };
  // Comparable work on our side: one envelope, one inclusion proof, the checkpoint's log signature.
  const unit = world.unit;
  const unitLogKey = parseVerifierKey(unit.logKey);
  const oursUnit = () => {
    const opened = openRelease(unit.envelope, unit.vendorKeys);
    if (opened.verifiedKeyids.length === 0) throw new Error("unit: release unsigned");
    const note = parseNote(unit.checkpoint);
    const checkpoint = parseCheckpoint(note.text);
    const body = utf8Encode(note.text);
    if (
      !note.signatures.some(
        (s) =>
          s.name === unitLogKey.name &&
          s.keyHash === unitLogKey.keyHash &&
          unitLogKey.verify(body, s.signature),
      )
    ) {
      throw new Error("unit: checkpoint unsigned");
    }
    const root = rootFromInclusionProof(
      leafHash(opened.logEntry),
      unit.index,
      checkpoint.size,
      unit.proof,
    );
    if (!bytesEqual(root, checkpoint.root)) throw new Error("unit: not included");
  };
  const unitLimit = () => {
    const s0 = world.signatures[0] as (typeof world.signatures)[number];
    const s4 = world.signatures[4] as (typeof world.signatures)[number];
    if (!ed25519Verify(s0.publicKey, s0.message, s0.sig)) throw new Error("bad signature");
    if (!ed25519Verify(s4.publicKey, s4.message, s4.sig)) throw new Error("bad signature");
  };

  // @sigstore/verify: trust material with the log (its checkpoint key) and the vendor's key,
  // KeyObjects made once (as our node backend caches them).
  const vendorKeyObject: KeyObject = createPublicKey({
    key: Buffer.from(spkiOf(world.sigstoreKey.publicKey)),
    format: "der",
    type: "spki",
  });
  const logId = Buffer.from(rekorLogId(world.logKeyHash));
  const trustMaterial = toTrustMaterial(
    {
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
      tlogs: [
        {
          baseUrl: `https://${world.logName}`,
          hashAlgorithm: 1, // SHA2_256
          publicKey: {
            rawBytes: Buffer.from(spkiOf(world.logPublicKey)),
            keyDetails: 7, // PKIX_ED25519
            validFor: { start: new Date(0) },
          },
          logId: { keyId: logId },
          checkpointKeyId: { keyId: logId },
        },
      ],
    } as unknown as Parameters<typeof toTrustMaterial>[0],
    (hint: string) => {
      if (hint !== world.sigstoreKey.hint) throw new Error(`no key ${hint}`);
      return { publicKey: vendorKeyObject, validFor: () => true };
    },
  );
  // A Rekor v2-style bundle carries no signed entry timestamp, so no timestamp is required: the
  // work is the DSSE signature, the tlog body, the checkpoint signature and the inclusion proof.
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 1, timestampThreshold: 0 });
  const sigstoreText = JSON.stringify(world.sigstoreJson);
  const sigstoreBundle = bundleFromJSON(world.sigstoreJson);
  const sigstore = () => {
    verifier.verify(toSignedEntity(sigstoreBundle));
  };
  const sigstoreFromJson = () => {
    verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(sigstoreText))));
  };

  // Every path must accept before it is timed, and sigstore must refuse a forged envelope.
  ours();
  oursFromJson();
  limit();
  oursUnit();
  unitLimit();
  sigstore();
  sigstoreFromJson();
  checkSigstoreRefuses(verifier, world.sigstoreJson);

  const runs = {
    ours,
    oursFromJson,
    limit,
    oursUnit,
    unitLimit,
    sigstore,
    sigstoreFromJson,
  };
  type Name = keyof typeof runs;
  const names = (Object.keys(runs) as Name[]).filter(
    (n) => !options.only || options.only.includes(n),
  );
  if (names.length === 0) usage(`--only names none of ${Object.keys(runs).join(", ")}`);
  // Warm-up: JIT every path.
  for (const name of names) timeIt(runs[name], Math.min(0.3, options.seconds));
  const us = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let r = 0; r < options.rounds; r++) {
    progress(`round ${r + 1} of ${options.rounds}`);
    for (const name of names) us[name].push(timeIt(runs[name], options.seconds));
  }
  const m = (name: Name) => median(us[name]);
  const perRound = (a: Name, b: Name, f: (x: number, y: number) => number) =>
    median(us[a].map((x, i) => f(x, us[b][i] as number)));
  const overhead = (x: number, y: number) => (x - y) / y;
  if (options.only) {
    for (const name of names) {
      emit({ bench: `verify.only.${name}`, value: round2(m(name)), unit: "us" });
    }
    if (names.includes("ours") && names.includes("limit")) {
      const min = (name: Name) => Math.min(...us[name]);
      emit({
        bench: "verify.only.overhead",
        value: round3(perRound("ours", "limit", overhead)),
        of_minimums: round3(overhead(min("ours"), min("limit"))),
      });
    }
    return;
  }
  const common = {
    tree_size: options.treeSize,
    reviews: 2,
    cosignatures: 3,
    rounds: options.rounds,
  };

  emit({
    bench: "verify.release",
    value: Math.round(1e6 / m("ours")),
    unit: "verifications/s",
    us: round2(m("ours")),
    ...common,
  });
  emit({
    bench: "verify.release_from_json",
    value: Math.round(1e6 / m("oursFromJson")),
    unit: "verifications/s",
    us: round2(m("oursFromJson")),
    bundle_bytes: utf8Encode(bundleText).length,
    ...common,
  });
  emit({
    bench: "verify.limit",
    value: round2(m("limit")),
    unit: "us",
    limit_us: round2(m("limit")),
    ed25519_verifications: world.signatures.length,
    per_signature_us: round2(m("limit") / world.signatures.length),
    backend: "node:crypto",
  });
  emit({
    bench: "verify.overhead",
    value: round3(perRound("ours", "limit", overhead)),
    unit: "fraction of limit",
    target: 0.25,
    verify_us: round2(m("ours")),
    limit_us: round2(m("limit")),
  });
  emit({
    bench: "verify.overhead_from_json",
    value: round3(perRound("oursFromJson", "limit", overhead)),
    unit: "fraction of limit",
    target: 0.25,
    verify_us: round2(m("oursFromJson")),
    limit_us: round2(m("limit")),
  });
  emit({
    bench: "verify.vs_sigstore",
    work: "1 DSSE envelope + 1 inclusion proof + checkpoint log signature (2 Ed25519 verifications)",
    value: round2(m("sigstore")),
    unit: "us",
    vs: SIGSTORE,
    ours_us: round2(m("oursUnit")),
    ratio: round2(perRound("sigstore", "oursUnit", (x, y) => x / y)),
    limit_us: round2(m("unitLimit")),
    ours_overhead: round3(perRound("oursUnit", "unitLimit", overhead)),
    sigstore_overhead: round3(perRound("sigstore", "unitLimit", overhead)),
  });
  emit({
    bench: "verify.vs_sigstore_from_json",
    work: "as verify.vs_sigstore, sigstore also parsing its bundle JSON (JSON.parse + bundleFromJSON)",
    value: round2(m("sigstoreFromJson")),
    unit: "us",
    vs: SIGSTORE,
    ours_us: round2(m("oursUnit")),
    ratio: round2(perRound("sigstoreFromJson", "oursUnit", (x, y) => x / y)),
  });
}

function artifactDigest(bundle: Bundle): string {
  const payload = JSON.parse(new TextDecoder().decode(fromBase64(bundle.release.envelope.payload)));
  return (payload.predicate as ReleasePredicate).artifacts[0]?.sha256 as string;
}

function spkiOf(publicKey: Uint8Array): Uint8Array {
  const der = new Uint8Array(ED25519_SPKI_PREFIX.length + publicKey.length);
  der.set(ED25519_SPKI_PREFIX);
  der.set(publicKey, ED25519_SPKI_PREFIX.length);
  return der;
}

/** The comparison means something only if sigstore really checks: a forged signature must fail. */
function checkSigstoreRefuses(verifier: Verifier, json: Record<string, unknown>): void {
  const forged = structuredClone(json) as {
    dsseEnvelope: { signatures: { sig: string }[] };
    verificationMaterial: { tlogEntries: { inclusionProof: { hashes: string[] } }[] };
  };
  const sig = fromBase64(forged.dsseEnvelope.signatures[0]?.sig as string);
  sig[5] = (sig[5] as number) ^ 1;
  forged.dsseEnvelope.signatures[0] = { sig: toBase64(sig) };
  const refuses = (bundle: unknown) => {
    try {
      verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
      return false;
    } catch {
      return true;
    }
  };
  const badProof = structuredClone(json) as typeof forged;
  const hashes = badProof.verificationMaterial.tlogEntries[0]?.inclusionProof.hashes as string[];
  hashes[0] = toBase64(new Uint8Array(32));
  if (!refuses(forged) || !refuses(badProof)) {
    throw new Error("@sigstore/verify accepted a forged bundle: the comparison would be void");
  }
}

main();
