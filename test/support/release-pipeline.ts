/**
 * The vendor and the two demo reviewers of a replica fleet's demo folder, driving the release
 * pipeline through the balancer and signing where their keys are (Decision 17): upload, submit a
 * release and its head, wait for the analysis (run by whichever replica claims the job), approve
 * twice. What the service acknowledged goes to `acked`. Used by test/replicas.test.ts and
 * bench/scale.ts (the dictionary the gateways need).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  openRelease,
  type ReleasePredicate,
  signHead,
  signRelease,
  signReview,
} from "../../src/attest/index.js";
import { readKeyFile } from "../../src/crypto/node.js";
import type { Fleet, RoundRobin } from "./replica-fleet.js";

const REVIEWERS = [
  { token: "reviewer-alpha", organization: "Alpha Labs", reviewer: "ada" },
  { token: "reviewer-beta", organization: "Beta Review", reviewer: "bob" },
];

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d+Z$/, "Z");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the service told the vendor and reviewers it stored. */
export interface Acked {
  releases: Map<string, { envelope: Envelope; logIndex: number }>;
  reviews: Map<string, { release: string; envelope: Envelope }>;
}

/** The vendor and the two demo reviewers, through the balancer, signing where their keys are. */
export class ReleasePipeline {
  private readonly vendor;
  private readonly reviewers;
  private readonly newest = new Map<string, string>();
  private version = 0;

  constructor(
    private readonly rr: RoundRobin,
    private readonly fleet: Fleet,
    private readonly acked: Acked,
  ) {
    const keys = join(fleet.data, "keys");
    this.vendor = ed25519EnvelopeSigner(readKeyFile(join(keys, "vendor.key")));
    this.reviewers = REVIEWERS.map((r) => ({
      ...r,
      signer: ed25519EnvelopeSigner(readKeyFile(join(keys, `${r.token}.key`))),
    }));
  }

  /** A request that is retried on the next replica until one answers (the balancer's retry). */
  private async call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    raw?: Uint8Array,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { response } = await this.rr.fetch(path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(raw
              ? { "content-type": "application/octet-stream" }
              : body
                ? { "content-type": "application/json" }
                : {}),
          },
          body: raw ? raw.slice() : body ? JSON.stringify(body) : undefined,
        });
        const text = await response.text();
        return { status: response.status, json: text ? JSON.parse(text) : {} };
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(100);
      }
    }
  }

  /** Submits a release of one artifact and has both organisations approve it. */
  async publish(channel: ReleasePredicate["channel"], version: string, artifact: Uint8Array) {
    const token = this.fleet.token("vendor");
    const digest = sha256(artifact);
    const put = await this.call(
      "PUT",
      `/api/v1/artifacts/${digest}?size=${artifact.length}`,
      token,
      undefined,
      artifact,
    );
    if (put.status !== 200) throw new Error(`artifact upload: ${JSON.stringify(put.json)}`);
    const predicate = {
      channel,
      version,
      artifacts: [{ name: `${channel}-${version}`, size: artifact.length, sha256: digest }],
      previous: this.newest.has(channel)
        ? { envelopeSha256: this.newest.get(channel) as string }
        : null,
      audience: "everyone",
      published: rfc3339(new Date()),
    } as ReleasePredicate;
    const release = signRelease(predicate, this.vendor);
    const { envelopeSha256 } = openRelease(release, []);
    const issued = new Date(Math.floor(Date.now() / 1000) * 1000);
    const head = signHead(
      {
        channel,
        version,
        release: { envelopeSha256 },
        issued: rfc3339(issued),
        expires: rfc3339(new Date(issued.getTime() + 86_400_000)),
      },
      this.vendor,
    );
    const submitted = await this.call("POST", "/api/v1/releases", token, { release, head });
    if (submitted.status !== 200)
      throw new Error(`release submit: ${JSON.stringify(submitted.json)}`);
    const summary = submitted.json.release as { envelopeSha256: string; logIndex: number };
    this.acked.releases.set(envelopeSha256, { envelope: release, logIndex: summary.logIndex });
    this.newest.set(channel, envelopeSha256);

    let detail: { status: number; json: Record<string, unknown> };
    const deadline = Date.now() + 30_000;
    for (;;) {
      detail = await this.call("GET", `/api/v1/releases/${envelopeSha256}`, token);
      const status = (detail.json.release as { status: string } | undefined)?.status;
      if (status && status !== "analyzing") break;
      if (Date.now() > deadline) throw new Error(`release ${version} never left analysis`);
      await sleep(100);
    }
    const r = detail.json.release as {
      envelopeSha256: string;
      channel: ReleasePredicate["channel"];
      version: string;
      reportSha256: string;
      artifacts: { name: string; sha256: string }[];
    };
    const report = (await this.call("GET", `/api/v1/releases/${envelopeSha256}/report`, token))
      .json as { analyzers: { name: string; version: string }[]; findings: { severity: string }[] };
    const count = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const f of report.findings) {
      if (f.severity in count) count[f.severity as keyof typeof count]++;
    }
    for (const reviewer of this.reviewers) {
      const review = signReview(
        {
          verifier: { id: reviewer.organization, reviewer: reviewer.reviewer },
          timeVerified: rfc3339(new Date()),
          release: { envelopeSha256, channel: r.channel, version: r.version },
          artifacts: r.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
          verdict: "approve",
          findings: { reportSha256: r.reportSha256, count },
          analyzers: report.analyzers,
          comment: "",
        },
        reviewer.signer,
      );
      const answer = await this.call(
        "POST",
        `/api/v1/releases/${envelopeSha256}/reviews`,
        this.fleet.token(reviewer.token),
        { review },
      );
      // A verdict sent again after a cut-off answer was stored the first time.
      const code = (answer.json.error as { code?: string } | undefined)?.code;
      if (answer.status !== 200 && code !== "E_REVIEW_DUPLICATE") {
        throw new Error(`verdict: ${JSON.stringify(answer.json)}`);
      }
      this.acked.reviews.set(envelopeDigest(review), {
        release: envelopeSha256,
        envelope: review,
      });
    }
    return envelopeSha256;
  }

  /** Releases YARA rule packs one after the other until `done()`. */
  async keepReleasing(done: () => boolean): Promise<void> {
    while (!done()) {
      this.version++;
      const rule = `rule crosscheck_${this.version} { strings: $a = "replica test ${this.version}" condition: $a }\n`;
      await this.publish("rules", `1.0.${this.version}`, Buffer.from(rule));
    }
  }
}
