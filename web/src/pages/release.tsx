/**
 * One release: artifacts with digests, status, analysis, reviews, the findings report, concerns
 * with the vendor's answers, and the in-page verifier for a published release. Report and artifact text are shown as React text
 * nodes only (escaped); nothing from the API becomes markup.
 */
import { useState } from "react";
import { getBytes, getJson, getText, type ReleaseDetail, type ReleaseSummary } from "../api.js";
import { Digest, ErrorBox, formatBytes, formatTime, Loaded, Status } from "../components.js";
import { type Async, Link, useAsync } from "../router.js";
import { diffOf, RuleDiff } from "../rule-diff.js";
import { useSession } from "../session.js";
import {
  CHECKS,
  type CheckId,
  forgetMemory,
  type VerifyOutcome,
  verifyInBrowser,
} from "../verify-in-browser.js";
import { Yara } from "../yara-highlight.js";
import { Concerns } from "./concerns.js";
import { type FindingsReport, ReviewPanel } from "./review-panel.js";

interface Finding {
  id: string;
  severity: string;
  analyzer: string;
  location: { artifact: string; offset?: number; path?: string };
  message: string;
  evidence?: Record<string, unknown>;
}

interface ParsedReport {
  text: string;
  report: FindingsReport & { findings: Finding[] };
}

/** Artifacts up to this size that decode as UTF-8 can be read on the page. */
const MAX_SHOWN = 256 * 1024;

export function ReleasePage({ sha256 }: { sha256: string }) {
  const [detail, reloadDetail] = useAsync(
    () => getJson<ReleaseDetail>(`/api/v1/releases/${sha256}`),
    sha256,
  );
  return (
    <Loaded async={detail} what="the release">
      {(d) => <Release detail={d} reload={reloadDetail} />}
    </Loaded>
  );
}

function Release({ detail: d, reload }: { detail: ReleaseDetail; reload: () => void }) {
  const session = useSession();
  const ready = d.release.reportSha256 !== null;
  const [report] = useAsync(async (): Promise<ParsedReport | null> => {
    if (!ready) return null;
    const text = await getText(`/api/v1/releases/${d.release.envelopeSha256}/report`);
    let parsed: ParsedReport["report"] = { analyzers: [], findings: [] };
    try {
      parsed = JSON.parse(text) as ParsedReport["report"];
    } catch {
      // shown raw either way
    }
    return { text, report: parsed };
  }, `${d.release.envelopeSha256}/${ready}`);
  const findings = report.state === "done" && report.value ? report.value.report.findings : [];
  const diff = diffOf(findings);
  const reviewing =
    d.release.status === "in-review" &&
    session.state === "signed-in" &&
    session.user.role === "reviewer" &&
    report.state === "done" &&
    report.value !== null;
  return (
    <>
      <p className="crumbs">
        <Link to="/releases">Releases</Link> ›{" "}
        <Link to={`/releases?channel=${d.release.channel}`}>{d.release.channel}</Link>
      </p>
      <h1>
        {d.release.channel} {d.release.version} <Status status={d.release.status} />
      </h1>
      <dl className="facts">
        <dt>Release statement</dt>
        <dd>
          <Digest value={d.release.envelopeSha256} full />
        </dd>
        <dt>Log index</dt>
        <dd>
          <Link to={`/transparency-log?index=${d.release.logIndex}`}>{d.release.logIndex}</Link>
        </dd>
        <dt>Submitted</dt>
        <dd>{formatTime(d.release.submittedAt)}</dd>
        <dt>Published</dt>
        <dd>{formatTime(d.release.publishedAt)}</dd>
        <dt>Audience</dt>
        <dd>
          {d.predicate.audience === "everyone"
            ? "everyone"
            : `region ${d.predicate.audience.region}`}
        </dd>
        <dt>Follows</dt>
        <dd>
          {d.predicate.previous ? (
            <Link to={`/releases/${d.predicate.previous.envelopeSha256}`}>
              <Digest value={d.predicate.previous.envelopeSha256} />
            </Link>
          ) : (
            "nothing: the channel's first release"
          )}
        </dd>
      </dl>
      {d.release.status === "published" && <VerifyPanel release={d.release} />}
      <Artifacts release={d.release} />
      <Source detail={d} />
      <Reviews detail={d} />
      {reviewing && report.state === "done" && report.value && session.state === "signed-in" && (
        <ReviewPanel
          detail={d}
          report={report.value.report}
          me={session.user.name}
          onVerdict={reload}
        />
      )}
      {diff && <RuleDiff diff={diff} release={d.release} />}
      <Report detail={d} report={report} />
      <Concerns sha256={d.release.envelopeSha256} findings={findings} />
    </>
  );
}

/** Where a build comes from and how to rebuild it; rebuild results join in with issue 10. */
function Source({ detail }: { detail: ReleaseDetail }) {
  const { source, build } = detail.predicate;
  return (
    <section aria-labelledby="source-heading">
      <h2 id="source-heading">Source and build</h2>
      {source ? (
        <dl className="facts">
          <dt>Repository</dt>
          <dd>
            <code>{source.repository}</code>
          </dd>
          <dt>Commit</dt>
          <dd>
            <code>{source.commit}</code>
          </dd>
          {build?.builder && (
            <>
              <dt>Builder</dt>
              <dd>{build.builder}</dd>
            </>
          )}
        </dl>
      ) : (
        <p className="muted">The vendor names no source for this release.</p>
      )}
      {build && (
        <details>
          <summary>Build recipe</summary>
          <pre className="report">{build.recipe}</pre>
        </details>
      )}
      <Rebuilds detail={detail} />
    </section>
  );
}

function Artifacts({ release }: { release: ReleaseSummary }) {
  return (
    <section aria-labelledby="artifacts-heading">
      <h2 id="artifacts-heading">Artifacts</h2>
      <ul className="artifacts">
        {release.artifacts.map((a) => (
          <li key={a.sha256}>
            <strong>{a.name}</strong> ({formatBytes(a.size)}), SHA-256{" "}
            <Digest value={a.sha256} full />{" "}
            <a href={`/api/v1/artifacts/${a.sha256}`} download={a.name}>
              Download
            </a>
            {a.size <= MAX_SHOWN && <ArtifactText sha256={a.sha256} name={a.name} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ArtifactText({ sha256, name }: { sha256: string; name: string }) {
  const [text, setText] = useState<
    | { state: "closed" | "loading" }
    | { state: "open"; text: string }
    | { state: "error"; error: Error }
  >({ state: "closed" });
  const show = async () => {
    if (text.state === "open") return setText({ state: "closed" });
    setText({ state: "loading" });
    try {
      const bytes = await getBytes(`/api/v1/artifacts/${sha256}`);
      // Binary files are refused rather than shown as mojibake.
      setText({ state: "open", text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) });
    } catch (err) {
      setText({
        state: "error",
        error: err instanceof TypeError ? new Error("Not a text file.") : (err as Error),
      });
    }
  };
  return (
    <>
      {" "}
      <button type="button" className="link" onClick={show} aria-expanded={text.state === "open"}>
        {text.state === "open" ? `Hide ${name}` : `Show ${name} as text`}
      </button>
      {text.state === "loading" && <span role="status"> loading…</span>}
      {text.state === "error" && <ErrorBox error={text.error} />}
      {text.state === "open" && (
        <pre className="artifact-text yara" data-testid="artifact-text">
          {/\.yara?$/i.test(name) ? <Yara source={text.text} /> : text.text}
        </pre>
      )}
    </>
  );
}

/** Independent rebuilders' signed results: did the named source build exactly these files? */
function Rebuilds({ detail }: { detail: ReleaseDetail }) {
  const rebuilds = detail.rebuilds ?? [];
  if (rebuilds.length === 0) {
    return (
      <p className="muted" data-testid="rebuild-result">
        Rebuild: no independent rebuild result is recorded for this release.
      </p>
    );
  }
  return (
    <div data-testid="rebuild-result">
      <h3>Rebuilds</h3>
      {rebuilds.map((r) => (
        <article key={r.envelopeSha256} className="posting" data-testid="rebuild">
          <p>
            <strong>{r.organization}</strong>:{" "}
            <Status
              status={
                r.status === "GOOD" ? "approved" : r.status === "BAD" ? "rejected" : "in-review"
              }
            />{" "}
            <code>{r.status}</code> — rebuilt by {r.builder} at{" "}
            <time dateTime={r.timeFinished}>{formatTime(r.timeFinished)}</time> from{" "}
            <code>{r.source.repository}</code>@<code>{r.source.commit.slice(0, 12)}</code>, logged
            at index <Link to={`/transparency-log?index=${r.logIndex}`}>{r.logIndex}</Link>
          </p>
          {r.reason && <p className="posting-text">{r.reason}</p>}
          {r.differences.length > 0 && (
            <ul className="triage-list">
              {r.differences.map((d) => (
                <li key={`${d.artifact}/${d.member}/${d.kind}`}>
                  {d.artifact}
                  {d.member ? ` › ${d.member}` : ""} ({d.kind}): {d.detail}
                </li>
              ))}
            </ul>
          )}
        </article>
      ))}
    </div>
  );
}

function Reviews({ detail }: { detail: ReleaseDetail }) {
  return (
    <section aria-labelledby="reviews-heading">
      <h2 id="reviews-heading">Analysis and reviews</h2>
      {detail.jobs.length > 0 && (
        <ul>
          {detail.jobs.map((j) => (
            <li key={j.analyzer}>
              Analyzer <code>{j.analyzer}</code>: {j.status}
              {j.error ? ` (${j.error})` : ""}
            </li>
          ))}
        </ul>
      )}
      {detail.reviews.length === 0 ? (
        <p className="muted">No reviewer has signed a verdict yet.</p>
      ) : (
        detail.reviews.map((r) => (
          <article key={r.envelopeSha256} className="posting" data-testid="verdict">
            <h3>
              {r.organization}: <Status status={r.verdict === "approve" ? "approved" : r.verdict} />
            </h3>
            <p className="byline">
              Signed by <strong>{r.reviewerName}</strong> with key <code>{r.reviewer}</code> at{" "}
              <time dateTime={r.timeVerified}>{formatTime(r.timeVerified)}</time>, logged at index{" "}
              <Link to={`/transparency-log?index=${r.logIndex}`}>{r.logIndex}</Link> (statement{" "}
              <Digest value={r.envelopeSha256} />)
            </p>
            {r.comment && <p className="posting-text">{r.comment}</p>}
            {r.triage.length > 0 && (
              <ul className="triage-list">
                {r.triage.map((t) => (
                  <li key={t.finding}>
                    Finding <code>{t.finding}</code>: {t.decision}
                    {t.justification ? ` — ${t.justification}` : ""}
                  </li>
                ))}
              </ul>
            )}
          </article>
        ))
      )}
    </section>
  );
}

function Report({ detail, report }: { detail: ReleaseDetail; report: Async<ParsedReport | null> }) {
  return (
    <section aria-labelledby="report-heading">
      <h2 id="report-heading">Findings report</h2>
      {detail.release.reportSha256 === null ? (
        <p className="muted">The release is still being analysed.</p>
      ) : (
        <Loaded async={report} what="the report">
          {(parsed) => {
            const text = parsed?.text ?? "";
            const findings = parsed?.report.findings ?? [];
            return (
              <>
                <p>
                  Reviewers signed verdicts over exactly these bytes, SHA-256{" "}
                  <Digest value={detail.release.reportSha256 ?? ""} full />.
                </p>
                {findings.length === 0 ? (
                  <p>No findings.</p>
                ) : (
                  <table>
                    <caption className="visually-hidden">Findings</caption>
                    <thead>
                      <tr>
                        <th scope="col">Severity</th>
                        <th scope="col">Where</th>
                        <th scope="col">Finding</th>
                      </tr>
                    </thead>
                    <tbody>
                      {findings.map((f) => (
                        <tr key={f.id} data-finding={f.id}>
                          <td>
                            <span
                              className={`severity severity-${f.severity.replace(/[^a-z]/g, "")}`}
                            >
                              {f.severity}
                            </span>
                          </td>
                          <td>
                            {f.location.artifact}
                            {f.location.path ? ` ${f.location.path}` : ""}
                            {f.location.offset !== undefined ? ` @${f.location.offset}` : ""}
                          </td>
                          <td>{f.message}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <details>
                  <summary>The report as signed (JSON)</summary>
                  <pre className="report" data-testid="report">
                    {text}
                  </pre>
                </details>
              </>
            );
          }}
        </Loaded>
      )}
    </section>
  );
}

type CheckState = "passed" | "failed" | "not run";

function checkStates(outcome: VerifyOutcome): Record<CheckId, CheckState> {
  const states = {} as Record<CheckId, CheckState>;
  let seenFailure = false;
  for (const check of CHECKS) {
    if (outcome.accepted) states[check.id] = "passed";
    else if (seenFailure) states[check.id] = "not run";
    else if (check.id === outcome.failedAt) {
      states[check.id] = "failed";
      seenFailure = true;
    } else states[check.id] = "passed";
  }
  return states;
}

function VerifyPanel({ release }: { release: ReleaseSummary }) {
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState("");
  const [outcome, setOutcome] = useState<VerifyOutcome | null>(null);
  const run = async () => {
    setRunning(true);
    setOutcome(null);
    try {
      setOutcome(await verifyInBrowser(release.channel, release.envelopeSha256, setProgress));
    } finally {
      setRunning(false);
      setProgress("");
    }
  };
  const states = outcome ? checkStates(outcome) : null;
  return (
    <section aria-labelledby="verify-heading" className="verify">
      <h2 id="verify-heading">Verify in your browser</h2>
      <p>
        Runs the same verifier an endpoint runs before installing (<code>crosscheck update</code>),
        here in this page: it fetches the signed trust policy, the channel's bundle and the
        artifacts, and checks signatures, reviews, log inclusion, witness cosignatures and
        freshness. The policy comes from this server; compare its digest with one you trust.
      </p>
      <p>
        <button type="button" onClick={run} disabled={running}>
          Verify in your browser
        </button>{" "}
        <button
          type="button"
          className="link"
          onClick={() => {
            forgetMemory();
            setOutcome(null);
          }}
        >
          Forget the checkpoint this browser saved
        </button>
      </p>
      <p role="status" aria-live="polite">
        {progress}
      </p>
      {outcome && states && (
        <div data-testid="verify-result" data-accepted={String(outcome.accepted)}>
          {outcome.accepted ? (
            <div className="ok" role="alert">
              <p>
                <strong>Verified</strong>: {outcome.result.release.channel}{" "}
                {outcome.result.release.version}, {outcome.artifactsChecked} artifact(s) match.
              </p>
              <dl className="facts">
                <dt>Approved by</dt>
                <dd>{outcome.result.approvedBy.join(", ")}</dd>
                <dt>Log size</dt>
                <dd>{outcome.result.checkpoint.size}</dd>
                <dt>Consistency</dt>
                <dd>{outcome.result.consistency}</dd>
                <dt>Policy</dt>
                <dd>
                  <Digest value={outcome.policyDigest} full />
                </dd>
              </dl>
            </div>
          ) : (
            <div className="error" role="alert">
              <p>
                Refused at{" "}
                <strong data-testid="failed-check">
                  {CHECKS.find((c) => c.id === outcome.failedAt)?.title}
                </strong>
                : <code data-testid="refusal-code">{outcome.code}</code>
              </p>
              <p data-testid="refusal-message">{outcome.message}</p>
            </div>
          )}
          <ol className="checks">
            {CHECKS.map((check) => (
              <li
                key={check.id}
                className={`check check-${states[check.id].replace(" ", "-")}`}
                data-check={check.id}
                data-state={states[check.id]}
              >
                <span className="check-mark" aria-hidden="true">
                  {states[check.id] === "passed" ? "✓" : states[check.id] === "failed" ? "✗" : "–"}
                </span>{" "}
                {check.title} <span className="visually-hidden">: {states[check.id]}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
