/**
 * The transparency log, checked in the page with the keys of the signed policy:
 *
 * - Checkpoint: the newest one, signed by the log and cosigned by the witness quorum.
 * - History: the checkpoints the log published, newest first, a page at a time from
 *   GET /api/v1/log/checkpoints; every note's signatures are checked here, so a row shows only
 *   which policy witnesses really cosigned it, and when (their cosignature/v1 time).
 * - Entries: one bundle of 256 entries at a time from /log/tile/entries/…, each described from its
 *   own bytes (DSSE payload type, in-toto predicate type, subjects), always rendered as text.
 * - Proofs: an entry's inclusion under the newest checkpoint, and an older checkpoint's
 *   consistency with it, both built from the hash tiles and verified here — the same tile reads
 *   (src/log/proofs.ts) and Merkle math (src/merkle) the CLI and `log verify` use.
 */
import { type FormEvent, useEffect, useState } from "react";
import {
  IN_TOTO_PAYLOAD_TYPE,
  parseLogEntry,
  parseStatement,
  RELEASE_PREDICATE_TYPE,
} from "../../../src/attest/index.js";
import {
  fromBase64,
  openNote,
  type ParsedVerifierKey,
  parseVerifierKey,
  toHex,
  utf8Decode,
} from "../../../src/crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../../../src/errors/index.js";
import { proveConsistency, proveInclusion } from "../../../src/log/proofs.js";
import {
  type Checkpoint,
  cosignatureTime,
  cosignatureVerifier,
  leafHash,
  parseCheckpoint,
  TILE_WIDTH,
  tileWidth,
  verifyConsistency,
  verifyInclusion,
} from "../../../src/merkle/index.js";
import { quorumSatisfied, type TlogPolicy } from "../../../src/policy/index.js";
import { getJson, logClient } from "../api.js";
import { Digest, ErrorBox, formatTime, Loaded } from "../components.js";
import { loadPolicy } from "../policy.js";
import { Link, useAsync, useLocation } from "../router.js";

type PageError = Error & { code?: string };

/** The keys the policy trusts for this log: its own, and its witnesses' with their quorum. */
interface LogKeys {
  log: ParsedVerifierKey;
  witnesses: { name: string; verifier: ParsedVerifierKey }[];
  tlog: TlogPolicy;
}

/** A checkpoint note whose signatures were checked against the policy's keys. */
interface CheckedNote {
  checkpoint: Checkpoint;
  /** The policy's witnesses whose cosignature verified, with the time each one claims. */
  cosigners: { name: string; time: number | undefined }[];
  quorum: boolean;
}

/**
 * Opens a checkpoint note with the policy's keys. The log's signature is required (else
 * E_CHECKPOINT_SIGNATURE); an invalid signature by a known key throws E_NOTE_SIGNATURE.
 */
function checkNote(note: string, keys: LogKeys): CheckedNote {
  const opened = openNote(note, [keys.log, ...keys.witnesses.map((w) => w.verifier)]);
  const verifiedBy = (v: { name: string; keyHash: number }) =>
    opened.signatures.find((s) => s.verified && s.name === v.name && s.keyHash === v.keyHash);
  if (!verifiedBy(keys.log)) {
    throw new CrosscheckError(
      "E_CHECKPOINT_SIGNATURE",
      "The checkpoint is not signed by the policy's log key.",
    );
  }
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== keys.log.name) {
    throw new CrosscheckError(
      "E_CHECKPOINT_ORIGIN",
      `The checkpoint names the log ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(keys.log.name)}.`,
    );
  }
  const cosigners = keys.witnesses.flatMap((w) => {
    const signature = verifiedBy(w.verifier);
    return signature ? [{ name: w.name, time: cosignatureTime(signature.signature) }] : [];
  });
  return {
    checkpoint,
    cosigners,
    quorum: quorumSatisfied(keys.tlog, new Set(cosigners.map((c) => c.name))),
  };
}

interface Latest {
  note: string;
  checked: CheckedNote;
  keys: LogKeys;
}

/** The newest checkpoint, its log signature and witness cosignatures checked against the policy. */
async function openLatest(): Promise<Latest> {
  const tlog = (await loadPolicy()).parsedLog;
  const keys: LogKeys = {
    log: parseVerifierKey(tlog.logs[0]?.key ?? ""),
    witnesses: tlog.witnesses.map((w) => ({ name: w.name, verifier: cosignatureVerifier(w.key) })),
    tlog,
  };
  const note = await logClient().checkpoint();
  return { note, checked: checkNote(note, keys), keys };
}

/** A checkpoint of GET /api/v1/log/checkpoints (src/log/history-http.ts). */
interface PublishedCheckpoint {
  size: number;
  root: string;
  note: string;
  publishedAt: string;
}

/** A history row with the page's own check of its note. */
interface HistoryRow extends PublishedCheckpoint {
  check: { ok: true; value: CheckedNote } | { ok: false; error: PageError };
}

interface HistoryPage {
  rows: HistoryRow[];
  next: number | null;
}

const HISTORY_PAGE = 20;

/** One page of the history; every note is checked once, here, not at each render. */
async function loadHistory(keys: LogKeys, before?: number): Promise<HistoryPage> {
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (before !== undefined) query.set("before", String(before));
  const page = await getJson<{ checkpoints: PublishedCheckpoint[]; next: number | null }>(
    `/api/v1/log/checkpoints?${query}`,
  );
  const rows = page.checkpoints.map((c): HistoryRow => {
    try {
      const value = checkNote(c.note, keys);
      // The table shows the signed values; the server's copies must agree with them.
      if (value.checkpoint.size !== c.size || toHex(value.checkpoint.root) !== c.root) {
        throw new CrosscheckError(
          "E_HISTORY_MISMATCH",
          "The listed size or root differs from the signed note's.",
        );
      }
      return { ...c, check: { ok: true, value } };
    } catch (err) {
      return { ...c, check: { ok: false, error: err as PageError } };
    }
  });
  return { rows, next: page.next };
}

/** A cosignature/v1 time (POSIX seconds) as the portal writes times. */
function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined
    ? "an unknown time"
    : formatTime(new Date(seconds * 1000).toISOString());
}

/** What a log entry is, read from its bytes alone (src/attest/log-entry.ts says how they are made). */
interface EntryDescription {
  kind: "envelope" | "digest" | "record" | "other";
  size: number;
  payloadType?: string;
  predicateType?: string;
  subjects: string[];
  signatures?: number;
  /** Another kind of record's own `type`, e.g. crosscheck.concern/v1. */
  recordType?: string;
  /** The envelope's SHA-256 (its name in the API): of the entry's bytes, or the one it names. */
  envelopeSha256?: string;
  /** For a digest entry: the size of the envelope stored beside the log. */
  envelopeSize?: number;
  release: boolean;
}

function describeEntry(entry: Uint8Array): EntryDescription {
  const base = { size: entry.length, subjects: [], release: false };
  try {
    const parsed = parseLogEntry(entry);
    if (parsed.kind === "digest") {
      return {
        ...base,
        kind: "digest",
        envelopeSha256: parsed.envelopeSha256,
        envelopeSize: parsed.size,
      };
    }
    const { envelope } = parsed;
    let statement: ReturnType<typeof parseStatement> | undefined;
    if (envelope.payloadType === IN_TOTO_PAYLOAD_TYPE) {
      try {
        statement = parseStatement(fromBase64(envelope.payload));
      } catch {
        statement = undefined;
      }
    }
    return {
      ...base,
      kind: "envelope",
      payloadType: envelope.payloadType,
      predicateType: statement?.predicateType,
      subjects: statement?.subject.map((s) => s.name) ?? [],
      signatures: envelope.signatures.length,
      envelopeSha256: parsed.envelopeSha256,
      release: statement?.predicateType === RELEASE_PREDICATE_TYPE,
    };
  } catch {
    // Not an envelope: other services log compact JSON records with a `type` of their own.
  }
  try {
    const record = JSON.parse(utf8Decode(entry)) as { type?: unknown };
    if (record && typeof record.type === "string") {
      return { ...base, kind: "record", recordType: record.type.slice(0, 200) };
    }
  } catch {
    // Neither: say how large it is.
  }
  return { ...base, kind: "other" };
}

function EntryKind({ d }: { d: EntryDescription }) {
  if (d.kind === "envelope") {
    return (
      <>
        DSSE envelope <code>{d.payloadType}</code>
        {d.predicateType && (
          <>
            , predicate <code>{d.predicateType}</code>
          </>
        )}
        , {d.signatures} signature(s)
      </>
    );
  }
  if (d.kind === "digest") {
    return (
      <>
        Digest of a large envelope ({d.envelopeSize} bytes), stored beside the log; the entry names
        it by SHA-256
      </>
    );
  }
  if (d.kind === "record") {
    return (
      <>
        Record <code>{d.recordType}</code>, {d.size} bytes
      </>
    );
  }
  return <>{d.size} bytes, not an envelope</>;
}

export function LogPage() {
  const { query } = useLocation();
  const [latest] = useAsync(openLatest, "checkpoint");
  return (
    <>
      <h1>Transparency log</h1>
      <p className="lead">
        Every release, review and channel head is an entry in this append-only log. Witnesses cosign
        its checkpoints, so the log cannot show different histories to different people.
      </p>
      <Loaded async={latest} what="the checkpoint">
        {(l) => <LogTools latest={l} query={query} />}
      </Loaded>
    </>
  );
}

/** A request from one part of the page to a proof tool; `n` makes a repeated request new. */
interface ToolRequest {
  value: number;
  n: number;
}

/** Fills a proof tool's field and runs it whenever another part of the page asks for `requested`. */
function useToolRequest(
  requested: ToolRequest | undefined,
  fill: (value: string) => void,
  run: (value: number) => Promise<void>,
): void {
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per request, not per render.
  useEffect(() => {
    if (!requested) return;
    fill(String(requested.value));
    void run(requested.value);
  }, [requested]);
}

function LogTools({ latest, query }: { latest: Latest; query: URLSearchParams }) {
  const { checkpoint } = latest.checked;
  const [first] = useAsync(() => loadHistory(latest.keys), `history ${latest.note}`);
  const [older, setOlder] = useState<HistoryPage[]>([]);
  const [prove, setProve] = useState<ToolRequest | undefined>();
  const [consistency, setConsistency] = useState<ToolRequest | undefined>();
  const index = query.get("index") ?? "";
  const bundleParam = query.get("bundle");
  const initialBundle =
    bundleParam !== null && /^\d+$/.test(bundleParam)
      ? Number(bundleParam)
      : /^\d+$/.test(index)
        ? Math.floor(Number(index) / TILE_WIDTH)
        : undefined;
  const request =
    (set: (r: ToolRequest) => void, heading: string) =>
    (value: number): void => {
      set({ value, n: Date.now() });
      document.getElementById(heading)?.scrollIntoView({ block: "start" });
    };
  return (
    <>
      <CheckpointFacts latest={latest} />
      <Loaded async={first} what="the checkpoint history">
        {(firstPage) => {
          const pages = [firstPage, ...older];
          const rows = pages.flatMap((p) => p.rows);
          return (
            <>
              <CheckpointHistory
                rows={rows}
                next={(pages[pages.length - 1] as HistoryPage).next}
                latestSize={checkpoint.size}
                keys={latest.keys}
                onOlder={(page) => setOlder((pages) => [...pages, page])}
                onConsistency={request(setConsistency, "consistency-heading")}
              />
              <ConsistencyTool latest={latest} rows={rows} requested={consistency} />
            </>
          );
        }}
      </Loaded>
      <EntryBrowser
        size={checkpoint.size}
        initialBundle={initialBundle}
        onProve={request(setProve, "inclusion-heading")}
      />
      <InclusionTool checkpoint={checkpoint} initial={index} requested={prove} />
    </>
  );
}

function CheckpointFacts({ latest }: { latest: Latest }) {
  const { checkpoint, cosigners, quorum } = latest.checked;
  return (
    <section aria-labelledby="checkpoint-heading">
      <h2 id="checkpoint-heading">Checkpoint</h2>
      <dl className="facts">
        <dt>Origin</dt>
        <dd>
          <code>{checkpoint.origin}</code>
        </dd>
        <dt>Size</dt>
        <dd data-testid="log-size">{checkpoint.size}</dd>
        <dt>Root hash</dt>
        <dd>
          <code className="digest">{toHex(checkpoint.root)}</code>
        </dd>
        <dt>Signed by the log</dt>
        <dd>
          ✓ <code>{latest.keys.log.name}</code> (key from the signed policy)
        </dd>
        <dt>Cosigned by</dt>
        <dd>
          {cosigners.length ? cosigners.map((c) => c.name).join(", ") : "no witness yet"};{" "}
          {quorum ? "the policy's witness quorum is met" : "quorum NOT met"}
        </dd>
      </dl>
      <pre className="note" data-testid="checkpoint">
        {latest.note}
      </pre>
    </section>
  );
}

function CheckpointHistory(props: {
  rows: HistoryRow[];
  next: number | null;
  latestSize: number;
  keys: LogKeys;
  onOlder: (page: HistoryPage) => void;
  onConsistency: (size: number) => void;
}) {
  const { rows, next, latestSize } = props;
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<PageError | null>(null);
  const loadOlder = async () => {
    if (next === null) return;
    setLoading(true);
    setError(null);
    try {
      props.onOlder(await loadHistory(props.keys, next));
    } catch (err) {
      setError(err as PageError);
    } finally {
      setLoading(false);
    }
  };
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Checkpoint history</h2>
      <p>
        The checkpoints this log published, newest first: once its witness quorum cosigned them when
        it has witnesses, else every one it signed. Each note's signatures are checked in this page
        with the policy's keys; a row lists the witnesses whose cosignature verified, at the time
        each one signed.
      </p>
      {rows.length === 0 ? (
        <p className="muted" role="status">
          The log has published no checkpoint yet.
        </p>
      ) : (
        <table data-testid="checkpoint-history" className="log-history">
          <caption className="visually-hidden">Published checkpoints, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Size</th>
              <th scope="col">Published</th>
              <th scope="col">Root hash</th>
              <th scope="col">Cosigned by</th>
              <th scope="col">
                <span className="visually-hidden">Proof</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.size} data-testid="history-row" data-size={row.size}>
                <td className="num">{row.size}</td>
                <td>{formatTime(row.publishedAt)}</td>
                <td>
                  <Digest value={row.root} />
                </td>
                <td>
                  {row.check.ok ? (
                    <HistoryCosigners checked={row.check.value} />
                  ) : (
                    <span className="check-failed">
                      ✗ {row.check.error.code ?? "Error"}: {row.check.error.message}
                    </span>
                  )}
                </td>
                <td className="log-action">
                  {row.check.ok && row.size > 0 && row.size < latestSize && (
                    <button
                      type="button"
                      className="link"
                      aria-label={`Check consistency of size ${row.size} with the latest`}
                      onClick={() => props.onConsistency(row.size)}
                    >
                      Check consistency
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && <ErrorBox error={error} />}
      {next !== null && (
        <button type="button" onClick={loadOlder} disabled={loading}>
          {loading ? "Loading…" : "Older checkpoints"}
        </button>
      )}
    </section>
  );
}

function HistoryCosigners({ checked }: { checked: CheckedNote }) {
  if (checked.cosigners.length === 0) return <>signed by the log; no witness cosignature</>;
  return (
    <>
      <ul className="log-cosigners">
        {checked.cosigners.map((c) => (
          <li key={c.name} data-testid="cosigner">
            ✓ <span className="log-witness">{c.name}</span> at {formatSeconds(c.time)}
          </li>
        ))}
      </ul>
      <span className={checked.quorum ? "log-quorum" : "check-failed"}>
        {checked.quorum ? "quorum met" : "quorum not met"}
      </span>
    </>
  );
}

type Run<T> =
  | { state: "idle" | "running" }
  | { state: "done"; value: T }
  | { state: "error"; error: PageError };

interface ConsistencyResult {
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  proof: string[];
}

/** Proves in the page that the newest checkpoint's tree extends an older one from the history. */
async function proveCheckpointsConsistent(
  row: HistoryRow,
  latest: Latest,
): Promise<ConsistencyResult> {
  // The older checkpoint is trusted only with the log's signature on it, checked again here.
  const old = checkNote(row.note, latest.keys).checkpoint;
  const { checkpoint } = latest.checked;
  if (old.size >= checkpoint.size) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Pick a checkpoint older than the latest (size ${checkpoint.size}).`,
    );
  }
  const proof = await proveConsistency(logClient().tileSource, old.size, checkpoint.size);
  // Throws E_PROOF_INVALID unless the proof leads from the old root to the new one.
  verifyConsistency(old.size, checkpoint.size, proof, old.root, checkpoint.root);
  return {
    oldSize: old.size,
    newSize: checkpoint.size,
    oldRoot: toHex(old.root),
    newRoot: toHex(checkpoint.root),
    proof: proof.map(toHex),
  };
}

function ConsistencyTool(props: {
  latest: Latest;
  rows: HistoryRow[];
  requested: ToolRequest | undefined;
}) {
  const { latest, requested } = props;
  const latestSize = latest.checked.checkpoint.size;
  // The empty tree is a prefix of every tree: a proof from size 0 would prove nothing.
  const candidates = props.rows.filter((r) => r.check.ok && r.size > 0 && r.size < latestSize);
  const [selected, setSelected] = useState("");
  const [result, setResult] = useState<Run<ConsistencyResult> & { oldSize?: number }>({
    state: "idle",
  });
  const chosen = selected || String(candidates[0]?.size ?? "");
  const run = async (size: number) => {
    const row = props.rows.find((r) => r.size === size);
    if (!row) return;
    setResult({ state: "running" });
    try {
      setResult({ state: "done", value: await proveCheckpointsConsistent(row, latest) });
    } catch (err) {
      setResult({ state: "error", error: err as PageError, oldSize: size });
    }
  };
  useToolRequest(requested, setSelected, run);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (chosen) void run(Number(chosen));
  };
  return (
    <section aria-labelledby="consistency-heading">
      <h2 id="consistency-heading">Prove two checkpoints consistent</h2>
      <p>
        Reads the hash tiles a consistency proof needs from <code>/log/tile/…</code>, and checks in
        this page that the log's tree of size {latestSize} (the checkpoint above) contains,
        unchanged, the tree of an older checkpoint from the history, whose log signature is checked
        too.
      </p>
      {candidates.length === 0 ? (
        <p className="muted">The history shown holds no checkpoint older than the latest yet.</p>
      ) : (
        <form onSubmit={submit} className="filters">
          <label>
            Older checkpoint{" "}
            <select value={chosen} onChange={(e) => setSelected(e.currentTarget.value)}>
              {candidates.map((r) => (
                <option key={r.size} value={r.size}>
                  size {r.size}, published {formatTime(r.publishedAt)}
                </option>
              ))}
            </select>
          </label>
          <span>newer: the latest, size {latestSize}</span>
          <button type="submit" disabled={result.state === "running"}>
            Prove consistency
          </button>
        </form>
      )}
      <div aria-live="polite">
        {result.state === "running" && <p role="status">Fetching tiles and verifying…</p>}
        {result.state === "error" && (
          <div className="error" role="alert" data-testid="consistency-result" data-state="fail">
            <p>
              <strong>✗ Not proved consistent</strong>
              {result.oldSize !== undefined &&
                `: the log's tiles do not prove that size ${latestSize} extends size ${result.oldSize}.`}
            </p>
            <p>
              <strong>{result.error.code ?? "Error"}</strong>: {result.error.message}
            </p>
          </div>
        )}
        {result.state === "done" && (
          <div data-testid="consistency-result" data-state="pass">
            <p className="ok" role="status">
              ✓ Consistent: the log of size {result.value.newSize} extends the checkpoint of size{" "}
              {result.value.oldSize}; {result.value.proof.length} proof hash(es) lead from its root
              to the latest root.
            </p>
            <dl className="facts">
              <dt>Old root (size {result.value.oldSize})</dt>
              <dd>
                <code className="digest">{result.value.oldRoot}</code>
              </dd>
              <dt>New root (size {result.value.newSize})</dt>
              <dd>
                <code className="digest">{result.value.newRoot}</code>
              </dd>
              <dt>Proof</dt>
              <dd>
                <ProofHashes hashes={result.value.proof} />
              </dd>
            </dl>
          </div>
        )}
      </div>
    </section>
  );
}

function ProofHashes({ hashes }: { hashes: string[] }) {
  if (hashes.length === 0) return <>none needed</>;
  return (
    <ol className="proof">
      {hashes.map((h, i) => (
        // Proof hashes can repeat; their position is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above.
        <li key={i}>
          <code className="digest">{h}</code>
        </li>
      ))}
    </ol>
  );
}

interface BundleView {
  bundle: number;
  entries: (EntryDescription & { index: number })[];
}

async function loadBundle(bundle: number, size: number): Promise<BundleView> {
  const entries = await logClient().entries(bundle, tileWidth(size, 0, bundle));
  return {
    bundle,
    entries: entries.map((entry, i) => ({
      index: bundle * TILE_WIDTH + i,
      ...describeEntry(entry),
    })),
  };
}

const SUBJECTS_SHOWN = 4;

function EntryBrowser(props: {
  size: number;
  initialBundle: number | undefined;
  onProve: (index: number) => void;
}) {
  const { size } = props;
  const last = Math.max(0, Math.ceil(size / TILE_WIDTH) - 1);
  const clamp = (b: number) => Math.min(Math.max(0, Math.floor(b)), last);
  const [bundle, setBundle] = useState(clamp(props.initialBundle ?? last));
  const [loaded] = useAsync(
    () => (size === 0 ? Promise.resolve({ bundle, entries: [] }) : loadBundle(bundle, size)),
    `${bundle}/${size}`,
  );
  const jump = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const index = Number(new FormData(event.currentTarget).get("entry"));
    if (Number.isSafeInteger(index)) setBundle(clamp(index / TILE_WIDTH));
  };
  const firstIndex = bundle * TILE_WIDTH;
  const lastIndex = Math.min(size, firstIndex + TILE_WIDTH) - 1;
  return (
    <section aria-labelledby="entries-heading">
      <h2 id="entries-heading">Entries</h2>
      <p>
        The log's entries, {TILE_WIDTH} at a time as its entry bundles hold them (
        <code>/log/tile/entries/…</code>). Each is described from its own bytes; prove one to check
        it is under the checkpoint.
      </p>
      {size === 0 ? (
        <p className="muted">The log has no entries yet.</p>
      ) : (
        <>
          <nav className="pager log-pager" aria-label="Entry bundles">
            <button type="button" disabled={bundle === 0} onClick={() => setBundle(bundle - 1)}>
              ← Older entries
            </button>
            <button type="button" disabled={bundle >= last} onClick={() => setBundle(bundle + 1)}>
              Newer entries →
            </button>
            <button type="button" disabled={bundle === last} onClick={() => setBundle(last)}>
              Newest
            </button>
            <form onSubmit={jump} className="log-jump">
              <label>
                Jump to entry{" "}
                <input name="entry" type="number" min={0} max={size - 1} inputMode="numeric" />
              </label>{" "}
              <button type="submit">Show</button>
            </form>
          </nav>
          <p role="status" data-testid="entries-range">
            Entries {firstIndex} to {lastIndex} of {size} (bundle {bundle} of {last + 1}).
          </p>
          <Loaded async={loaded} what="the entries">
            {(view) => (
              <table data-testid="entries" className="log-entries">
                <caption className="visually-hidden">
                  Entries {firstIndex} to {lastIndex}, in log order
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Index</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Subjects</th>
                    <th scope="col">Statement</th>
                    <th scope="col">
                      <span className="visually-hidden">Proof</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {view.entries.map((e) => (
                    <tr key={e.index} data-testid="entry-row" data-index={e.index}>
                      <td className="num">{e.index}</td>
                      <td className="log-kind">
                        <EntryKind d={e} />
                      </td>
                      <td>
                        {e.subjects.length === 0 ? (
                          "—"
                        ) : (
                          <ul className="log-subject-list">
                            {e.subjects.slice(0, SUBJECTS_SHOWN).map((s) => (
                              <li key={s}>{s}</li>
                            ))}
                            {e.subjects.length > SUBJECTS_SHOWN && (
                              <li className="muted">
                                and {e.subjects.length - SUBJECTS_SHOWN} more
                              </li>
                            )}
                          </ul>
                        )}
                      </td>
                      <td>
                        {e.release && e.envelopeSha256 ? (
                          <Link to={`/releases/${e.envelopeSha256}`} title={e.envelopeSha256}>
                            release {e.envelopeSha256.slice(0, 12)}…
                          </Link>
                        ) : e.envelopeSha256 ? (
                          <Digest value={e.envelopeSha256} />
                        ) : (
                          "—"
                        )}
                      </td>
                      <td className="log-action">
                        <button
                          type="button"
                          className="link"
                          aria-label={`Prove entry ${e.index}`}
                          onClick={() => props.onProve(e.index)}
                        >
                          Prove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loaded>
        </>
      )}
    </section>
  );
}

interface InclusionResult {
  index: number;
  size: number;
  entry: EntryDescription;
  leaf: string;
  proof: string[];
  root: string;
}

async function proveEntry(index: number, checkpoint: Checkpoint): Promise<InclusionResult> {
  const { size, root } = checkpoint;
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Give an index from 0 to ${size - 1}; the log has ${size} entries.`,
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
  return {
    index,
    size,
    entry: describeEntry(entry),
    leaf: toHex(leaf),
    proof: proof.map(toHex),
    root: toHex(root),
  };
}

function InclusionTool(props: {
  checkpoint: Checkpoint;
  initial: string;
  requested: ToolRequest | undefined;
}) {
  const { checkpoint, requested } = props;
  const [value, setValue] = useState(props.initial);
  const [result, setResult] = useState<Run<InclusionResult>>({ state: "idle" });
  const run = async (index: number) => {
    setResult({ state: "running" });
    try {
      setResult({ state: "done", value: await proveEntry(index, checkpoint) });
    } catch (err) {
      const error = err as PageError;
      setResult({ state: "error", error: isCrosscheckError(err) ? err : error });
    }
  };
  useToolRequest(requested, setValue, run);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void run(Number(value));
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
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
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
              <dd>
                <EntryKind d={result.value.entry} />
                {result.value.entry.subjects.length > 0 &&
                  `; subjects: ${result.value.entry.subjects.slice(0, SUBJECTS_SHOWN).join(", ")}`}
              </dd>
              <dt>Leaf hash</dt>
              <dd>
                <code className="digest">{result.value.leaf}</code>
              </dd>
              <dt>Proof</dt>
              <dd>
                <ProofHashes hashes={result.value.proof} />
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
