/**
 * The transparency log: its checkpoint, checked against the keys in the signed policy, and an
 * inclusion-proof tool that reads the entry and the tiles through the C2SP tlog-tiles read API and
 * verifies in the page that the entry is under the checkpoint's root — the same tile reads
 * (src/log/proofs.ts) and Merkle math (src/merkle) the CLI and `log verify` use.
 */
import { type FormEvent, useState } from "react";
import { parseEnvelope } from "../../../src/attest/index.js";
import { openNote, parseVerifierKey, toHex, utf8Decode } from "../../../src/crypto/index.js";
import { isCrosscheckError } from "../../../src/errors/index.js";
import { proveInclusion } from "../../../src/log/proofs.js";
import {
  type Checkpoint,
  cosignatureVerifier,
  leafHash,
  parseCheckpoint,
  TILE_WIDTH,
  tileWidth,
  verifyInclusion,
} from "../../../src/merkle/index.js";
import { openPolicy, quorumSatisfied, type TrustedPolicy } from "../../../src/policy/index.js";
import { getText, logClient } from "../api.js";
import { ErrorBox, Loaded } from "../components.js";
import { useAsync, useLocation } from "../router.js";

interface OpenedCheckpoint {
  note: string;
  checkpoint: Checkpoint;
  logKeyName: string;
  witnesses: string[];
  quorum: boolean;
}

/** The newest checkpoint, its log signature and witness cosignatures checked against the policy. */
async function openedCheckpoint(): Promise<OpenedCheckpoint> {
  const policy: TrustedPolicy = openPolicy(parseEnvelope(await getText("/api/v1/policy")), {
    now: new Date(),
  });
  const note = await logClient().checkpoint();
  const tlog = policy.parsedLog;
  const logKey = parseVerifierKey(tlog.logs[0]?.key ?? "");
  const witnesses = tlog.witnesses.map((w) => ({
    name: w.name,
    verifier: cosignatureVerifier(w.key),
  }));
  const opened = openNote(note, [logKey, ...witnesses.map((w) => w.verifier)]);
  const signedBy = (v: { name: string; keyHash: number }) =>
    opened.signatures.some((s) => s.verified && s.name === v.name && s.keyHash === v.keyHash);
  if (!signedBy(logKey)) {
    throw Object.assign(new Error("The checkpoint is not signed by the policy's log key."), {
      code: "E_CHECKPOINT_SIGNATURE",
    });
  }
  const cosigned = witnesses.filter((w) => signedBy(w.verifier)).map((w) => w.name);
  return {
    note,
    checkpoint: parseCheckpoint(opened.text),
    logKeyName: logKey.name,
    witnesses: cosigned,
    quorum: quorumSatisfied(tlog, new Set(cosigned)),
  };
}

interface InclusionResult {
  index: number;
  size: number;
  entry: Uint8Array;
  leaf: string;
  proof: string[];
  root: string;
}

async function proveEntry(index: number, checkpoint: Checkpoint): Promise<InclusionResult> {
  const { size, root } = checkpoint;
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw Object.assign(
      new Error(`Give an index from 0 to ${size - 1}; the log has ${size} entries.`),
      {
        code: "E_PROOF_RANGE",
      },
    );
  }
  const client = logClient();
  const bundle = Math.floor(index / TILE_WIDTH);
  const entries = await client.entries(bundle, tileWidth(size, 0, bundle));
  const entry = entries[index % TILE_WIDTH] as Uint8Array;
  const leaf = leafHash(entry);
  const proof = await proveInclusion(client.tileSource, index, size);
  // Throws E_PROOF_INVALID unless the entry's leaf hash and the proof lead to the signed root.
  verifyInclusion(leaf, index, size, proof, root);
  return { index, size, entry, leaf: toHex(leaf), proof: proof.map(toHex), root: toHex(root) };
}

/** A log entry is a DSSE envelope (or a pointer to a large one); show what kind, as text. */
function describeEntry(entry: Uint8Array): string {
  try {
    const envelope = parseEnvelope(utf8Decode(entry));
    const statement = JSON.parse(
      utf8Decode(Uint8Array.from(atob(envelope.payload), (c) => c.charCodeAt(0))),
    ) as {
      predicateType?: string;
    };
    return `DSSE envelope, ${envelope.payloadType}${statement.predicateType ? `, predicate ${statement.predicateType}` : ""}, ${envelope.signatures.length} signature(s)`;
  } catch {
    return `${entry.length} bytes`;
  }
}

export function LogPage() {
  const { query } = useLocation();
  const [opened] = useAsync(openedCheckpoint, "checkpoint");
  return (
    <>
      <h1>Transparency log</h1>
      <p className="lead">
        Every release, review and channel head is an entry in this append-only log. Witnesses cosign
        its checkpoints, so the log cannot show different histories to different people.
      </p>
      <Loaded async={opened} what="the checkpoint">
        {(o) => (
          <>
            <section aria-labelledby="checkpoint-heading">
              <h2 id="checkpoint-heading">Checkpoint</h2>
              <dl className="facts">
                <dt>Origin</dt>
                <dd>
                  <code>{o.checkpoint.origin}</code>
                </dd>
                <dt>Size</dt>
                <dd data-testid="log-size">{o.checkpoint.size}</dd>
                <dt>Root hash</dt>
                <dd>
                  <code className="digest">{toHex(o.checkpoint.root)}</code>
                </dd>
                <dt>Signed by the log</dt>
                <dd>
                  ✓ <code>{o.logKeyName}</code> (key from the signed policy)
                </dd>
                <dt>Cosigned by</dt>
                <dd>
                  {o.witnesses.length ? o.witnesses.join(", ") : "no witness yet"};{" "}
                  {o.quorum ? "the policy's witness quorum is met" : "quorum NOT met"}
                </dd>
              </dl>
              <pre className="note" data-testid="checkpoint">
                {o.note}
              </pre>
            </section>
            <InclusionTool checkpoint={o.checkpoint} initial={query.get("index") ?? ""} />
          </>
        )}
      </Loaded>
    </>
  );
}

function InclusionTool({ checkpoint, initial }: { checkpoint: Checkpoint; initial: string }) {
  const [result, setResult] = useState<
    | { state: "idle" | "running" }
    | { state: "done"; value: InclusionResult }
    | { state: "error"; error: Error & { code?: string } }
  >({ state: "idle" });
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const index = Number(new FormData(event.currentTarget).get("index"));
    setResult({ state: "running" });
    try {
      setResult({ state: "done", value: await proveEntry(index, checkpoint) });
    } catch (err) {
      const error = err as Error & { code?: string };
      setResult({ state: "error", error: isCrosscheckError(err) ? err : error });
    }
  };
  return (
    <section aria-labelledby="inclusion-heading">
      <h2 id="inclusion-heading">Prove an entry's inclusion</h2>
      <p>
        Reads the entry and the hash tiles the proof needs from <code>/log/tile/…</code>, and checks
        in this page that they lead to the checkpoint's root of size {checkpoint.size}.
      </p>
      <form onSubmit={submit} className="filters">
        <label>
          Entry index{" "}
          <input
            name="index"
            type="number"
            min={0}
            max={checkpoint.size - 1}
            required
            defaultValue={initial}
            inputMode="numeric"
          />
        </label>
        <button type="submit" disabled={result.state === "running"}>
          Prove inclusion
        </button>
      </form>
      <div aria-live="polite">
        {result.state === "running" && <p role="status">Fetching tiles and verifying…</p>}
        {result.state === "error" && <ErrorBox error={result.error} />}
        {result.state === "done" && (
          <div data-testid="inclusion-result">
            <p className="ok" role="status">
              ✓ Entry {result.value.index} is included in the log of size {result.value.size}: its
              leaf hash and {result.value.proof.length} proof hash(es) lead to the signed root.
            </p>
            <dl className="facts">
              <dt>Entry</dt>
              <dd>{describeEntry(result.value.entry)}</dd>
              <dt>Leaf hash</dt>
              <dd>
                <code className="digest">{result.value.leaf}</code>
              </dd>
              <dt>Proof</dt>
              <dd>
                <ol className="proof">
                  {result.value.proof.map((h, i) => (
                    // Proof hashes can repeat; their position is their identity.
                    // biome-ignore lint/suspicious/noArrayIndexKey: see above.
                    <li key={i}>
                      <code className="digest">{h}</code>
                    </li>
                  ))}
                </ol>
              </dd>
              <dt>Root</dt>
              <dd>
                <code className="digest">{result.value.root}</code>
              </dd>
            </dl>
          </div>
        )}
      </div>
    </section>
  );
}
