/**
 * A reviewer's workspace on one release: judge each finding (accept with a justification, or
 * reject), then sign a verdict with your own key in this page and submit it. The verdict carries
 * your judgements (the review predicate's `triage`), so they are logged with it. Approving is
 * possible only when no finding is rejected and every critical or high finding is accepted with
 * a reason: a serious finding is never waved through by default.
 */
import { type FormEvent, useState } from "react";
import {
  type ReviewPredicate,
  reviewStatement,
  signStatementAsync,
} from "../../../src/attest/index.js";
import { getJson, type ReleaseDetail, send } from "../api.js";
import { ErrorBox, Loaded } from "../components.js";
import { KeyImport } from "../key-import.js";
import { loadPolicy, reviewerOf } from "../policy.js";
import { useAsync } from "../router.js";
import type { PageSigner } from "../signing-key.js";

export interface ReportFinding {
  id: string;
  severity: string;
  analyzer: string;
  location: { artifact: string; offset?: number; path?: string };
  message: string;
}

export interface FindingsReport {
  analyzers: { name: string; version: string }[];
  findings: ReportFinding[];
}

interface Draft {
  finding: string;
  author: string;
  decision: "accept" | "reject";
  justification: string;
}

const SERIOUS = new Set(["critical", "high"]);

export function ReviewPanel(props: {
  detail: ReleaseDetail;
  report: FindingsReport;
  me: string;
  onVerdict: () => void;
}) {
  const sha = props.detail.release.envelopeSha256;
  const [drafts, reloadDrafts] = useAsync(
    () => getJson<{ triage: Draft[] }>(`/api/v1/releases/${sha}/triage`),
    sha,
  );
  return (
    <section aria-labelledby="your-review-heading" className="review-panel">
      <h2 id="your-review-heading">Your review</h2>
      <Loaded async={drafts} what="your judgements">
        {({ triage }) => (
          <Workspace
            {...props}
            mine={new Map(triage.filter((t) => t.author === props.me).map((t) => [t.finding, t]))}
            onSaved={reloadDrafts}
          />
        )}
      </Loaded>
    </section>
  );
}

function Workspace(props: {
  detail: ReleaseDetail;
  report: FindingsReport;
  me: string;
  mine: Map<string, Draft>;
  onSaved: () => void;
  onVerdict: () => void;
}) {
  const { report, mine } = props;
  const rejected = report.findings.filter((f) => mine.get(f.id)?.decision === "reject");
  const unaccepted = report.findings.filter(
    (f) => SERIOUS.has(f.severity) && mine.get(f.id)?.decision !== "accept",
  );
  return (
    <>
      <h3>Findings to judge</h3>
      {report.findings.length === 0 ? (
        <p>The analyzers found nothing to judge.</p>
      ) : (
        <table className="triage">
          <caption className="visually-hidden">Your judgement of each finding</caption>
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Finding</th>
              <th scope="col">Your judgement</th>
            </tr>
          </thead>
          <tbody>
            {report.findings.map((f) => (
              <tr key={f.id} data-finding={f.id}>
                <td>
                  <span className={`severity severity-${f.severity.replace(/[^a-z]/g, "")}`}>
                    {f.severity}
                  </span>
                </td>
                <td>
                  {f.message}
                  <div className="muted">
                    {f.location.artifact}
                    {f.location.path ? ` ${f.location.path}` : ""}
                  </div>
                </td>
                <td>
                  <TriageForm
                    sha={props.detail.release.envelopeSha256}
                    finding={f}
                    draft={mine.get(f.id)}
                    onSaved={props.onSaved}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Verdict
        {...props}
        approveBlocked={
          rejected.length > 0
            ? `You rejected ${rejected.length} finding(s): this release can only be rejected.`
            : unaccepted.length > 0
              ? `Accept each critical or high finding with a justification first (${unaccepted.length} left).`
              : null
        }
      />
    </>
  );
}

function TriageForm(props: {
  sha: string;
  finding: ReportFinding;
  draft: Draft | undefined;
  onSaved: () => void;
}) {
  const [decision, setDecision] = useState<string>(props.draft?.decision ?? "");
  const [justification, setJustification] = useState(props.draft?.justification ?? "");
  const [error, setError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const label = `Judgement of finding ${props.finding.id}`;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      await send("PUT", `/api/v1/releases/${props.sha}/triage`, {
        finding: props.finding.id,
        decision,
        justification,
      });
      props.onSaved();
    } catch (err) {
      setError(err as Error);
    } finally {
      setSaving(false);
    }
  };
  const saved =
    props.draft !== undefined &&
    props.draft.decision === decision &&
    props.draft.justification === justification;
  return (
    <form onSubmit={save} className="triage-form" aria-label={label}>
      <select
        aria-label="Decision"
        value={decision}
        onChange={(e) => setDecision(e.currentTarget.value)}
      >
        <option value="">not judged</option>
        <option value="accept">accept</option>
        <option value="reject">reject</option>
      </select>{" "}
      <input
        aria-label="Justification"
        placeholder={decision === "accept" ? "why it is acceptable (required)" : "why (optional)"}
        value={justification}
        maxLength={4096}
        onChange={(e) => setJustification(e.currentTarget.value)}
      />{" "}
      <button type="submit" disabled={decision === "" || saving || saved}>
        {saved ? "Saved" : "Save"}
      </button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

function Verdict(props: {
  detail: ReleaseDetail;
  report: FindingsReport;
  me: string;
  mine: Map<string, Draft>;
  approveBlocked: string | null;
  onVerdict: () => void;
}) {
  const [signer, setSigner] = useState<PageSigner | null>(null);
  const [policy] = useAsync(() => loadPolicy(), "policy");
  const [reviewer, setReviewer] = useState(props.me);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const release = props.detail.release;

  return (
    <>
      <h3>Sign your verdict</h3>
      <KeyImport purpose="your reviewer key" signer={signer} onSigner={setSigner} />
      <Loaded async={policy} what="the trust policy">
        {(trusted) => {
          const party = signer ? reviewerOf(trusted, signer.verifierKey) : undefined;
          const sign = async (verdict: "approve" | "reject") => {
            if (!signer || !party || !release.reportSha256) return;
            setBusy(true);
            setError(null);
            try {
              const count = { critical: 0, high: 0, medium: 0, low: 0 };
              for (const f of props.report.findings) {
                if (f.severity in count) count[f.severity as keyof typeof count]++;
              }
              const predicate: ReviewPredicate = {
                verifier: { id: party.organization, reviewer },
                timeVerified: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
                release: {
                  envelopeSha256: release.envelopeSha256,
                  channel: release.channel,
                  version: release.version,
                },
                artifacts: release.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
                verdict,
                findings: { reportSha256: release.reportSha256, count },
                analyzers: props.report.analyzers,
                comment,
                triage: props.report.findings
                  .map((f) => props.mine.get(f.id))
                  .filter((d): d is Draft => d !== undefined)
                  .map((d) => ({
                    finding: d.finding,
                    decision: d.decision,
                    justification: d.justification,
                  })),
              };
              const review = await signStatementAsync(reviewStatement(predicate), [signer]);
              await send("POST", `/api/v1/releases/${release.envelopeSha256}/reviews`, {
                review,
              });
              props.onVerdict();
            } catch (err) {
              setError(err as Error);
            } finally {
              setBusy(false);
            }
          };
          return (
            <div className="verdict">
              {signer && !party && (
                <p className="error" role="alert">
                  The trust policy names no reviewer with this key; a verdict signed with it would
                  be refused.
                </p>
              )}
              {party && (
                <p>
                  Organisation (from the trust policy): <strong>{party.organization}</strong>
                </p>
              )}
              <label htmlFor="reviewer-name">Your name, as the verdict states it</label>
              <input
                id="reviewer-name"
                value={reviewer}
                maxLength={256}
                onChange={(e) => setReviewer(e.currentTarget.value)}
              />
              <label htmlFor="verdict-comment">Comment</label>
              <textarea
                id="verdict-comment"
                value={comment}
                maxLength={4096}
                rows={3}
                onChange={(e) => setComment(e.currentTarget.value)}
              />
              {props.approveBlocked && <p className="muted">{props.approveBlocked}</p>}
              <p>
                <button
                  type="button"
                  disabled={!party || busy || props.approveBlocked !== null || reviewer === ""}
                  onClick={() => void sign("approve")}
                >
                  Approve and sign
                </button>{" "}
                <button
                  type="button"
                  className="danger"
                  disabled={!party || busy || reviewer === ""}
                  onClick={() => void sign("reject")}
                >
                  Reject and sign
                </button>
              </p>
              {error && <ErrorBox error={error} />}
            </div>
          );
        }}
      </Loaded>
    </>
  );
}
