/**
 * Security: anyone may report a vulnerability (POST /api/v1/reports, no account), and everyone
 * sees the fixed ones with their awards and the total paid (GET /api/v1/reports/public). A
 * signed-in vendor sees every report with its contact and triages it (PATCH /api/v1/reports/:id).
 * Report texts come from strangers: they are rendered as React text only.
 */
import { type FormEvent, useState } from "react";
import {
  getJson,
  type PublicReport,
  REPORT_STATUSES,
  type Report,
  SEVERITIES,
  send,
} from "../api.js";
import { ErrorBox, formatTime, Loaded } from "../components.js";
import { useAsync } from "../router.js";
import { can, refreshSession, useSession } from "../session.js";

/** Awards are stored in cents. */
export function formatAward(cents: number | null): string {
  if (cents === null) return "—";
  return (cents / 100).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function Security() {
  const session = useSession();
  const [round, setRound] = useState(0);
  const changed = () => setRound((r) => r + 1);
  return (
    <>
      <h1>Security</h1>
      <p className="lead">
        Found a vulnerability in Crosscheck or in a product it publishes? Report it here; no account
        is needed. Fixed vulnerabilities are listed below with the awards paid.
      </p>
      <ReportForm />
      {can(session, ["vendor"]) && <Triage round={round} changed={changed} />}
      <Fixed round={round} />
    </>
  );
}

function ReportForm() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [received, setReceived] = useState<number | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const field = (name: string) => String(data.get(name) ?? "").trim();
    const product = field("product");
    setBusy(true);
    setError(null);
    setReceived(null);
    try {
      const { id } = await send<{ id: number }>("POST", "/api/v1/reports", {
        title: field("title"),
        description: field("description"),
        contact: field("contact"),
        ...(product ? { product } : {}),
      });
      form.reset();
      setReceived(id);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="report-heading">
      <h2 id="report-heading">Report a vulnerability</h2>
      <form className="stacked" onSubmit={submit} aria-label="Report a vulnerability">
        <label>
          Title
          <input name="title" required maxLength={200} />
        </label>
        <label>
          Product (optional)
          <input name="product" maxLength={100} />
        </label>
        <label>
          Description
          <textarea name="description" required maxLength={20_000} />
        </label>
        <label>
          Contact (an e-mail address or an https URL; only the vendor sees it)
          <input name="contact" required minLength={3} maxLength={320} />
        </label>
        <p>
          <button type="submit" disabled={busy}>
            Submit report
          </button>
        </p>
        {received !== null && (
          <p className="ok" role="status" data-testid="report-received">
            Thank you: report #{received} was received. The vendor will contact you.
          </p>
        )}
        {error && <ErrorBox error={error} />}
      </form>
    </section>
  );
}

function Fixed({ round }: { round: number }) {
  const [list] = useAsync(
    () => getJson<{ reports: PublicReport[]; totalPaid: number }>("/api/v1/reports/public"),
    String(round),
  );
  return (
    <section aria-labelledby="fixed-heading">
      <h2 id="fixed-heading">Fixed vulnerabilities</h2>
      <Loaded async={list} what="fixed vulnerabilities">
        {({ reports, totalPaid }) => (
          <>
            <p>
              Total paid in awards:{" "}
              <strong data-testid="total-paid">{formatAward(totalPaid)}</strong>
            </p>
            {reports.length === 0 ? (
              <p className="muted">No vulnerability has been fixed yet.</p>
            ) : (
              <table data-testid="fixed-reports">
                <caption className="visually-hidden">Fixed vulnerabilities and awards</caption>
                <thead>
                  <tr>
                    <th scope="col">Report</th>
                    <th scope="col">Product</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Fixed in</th>
                    <th scope="col">Award</th>
                    <th scope="col">Received</th>
                    <th scope="col">Fixed</th>
                  </tr>
                </thead>
                <tbody>
                  {reports.map((r) => (
                    <tr key={r.id}>
                      <td>
                        #{r.id} {r.title}
                      </td>
                      <td>{r.product ?? "—"}</td>
                      <td>{r.severity ?? "—"}</td>
                      <td>{r.fixedIn ?? "—"}</td>
                      <td>{formatAward(r.award)}</td>
                      <td>{formatTime(r.receivedAt)}</td>
                      <td>{formatTime(r.fixedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function Triage({ round, changed }: { round: number; changed: () => void }) {
  const [list] = useAsync(
    () => getJson<{ reports: Report[] }>("/api/v1/reports").then((r) => r.reports),
    String(round),
  );
  return (
    <section aria-labelledby="triage-heading">
      <h2 id="triage-heading">All reports</h2>
      <Loaded async={list} what="reports">
        {(reports) =>
          reports.length === 0 ? (
            <p className="muted">No reports yet.</p>
          ) : (
            reports.map((r) => (
              <TriageReport key={`${r.id}/${r.updatedAt}`} report={r} changed={changed} />
            ))
          )
        }
      </Loaded>
    </section>
  );
}

function TriageReport({ report: r, changed }: { report: Report; changed: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const field = (name: string) => String(data.get(name) ?? "").trim();
    const award = field("award");
    const fixedIn = field("fixedIn");
    setBusy(true);
    setError(null);
    try {
      await send<Report>("PATCH", `/api/v1/reports/${r.id}`, {
        severity: field("severity"),
        status: field("status"),
        ...(award ? { award: Math.round(Number(award) * 100) } : {}),
        ...(fixedIn ? { fixedIn } : {}),
      });
      changed();
    } catch (err) {
      setError(err as Error);
      await refreshSession().catch(() => undefined);
    } finally {
      setBusy(false);
    }
  };
  const label = `report #${r.id}`;
  return (
    <article className="posting" aria-labelledby={`report-${r.id}`} data-testid="triage-report">
      <h3 id={`report-${r.id}`}>
        #{r.id} {r.title}
      </h3>
      <p className="byline">
        Received {formatTime(r.receivedAt)} from <span>{r.contact}</span>
        {r.product ? `, about ${r.product}` : ""}; status <strong>{r.status}</strong>
        {r.severity ? `, severity ${r.severity}` : ""}
        {r.award !== null ? `, award ${formatAward(r.award)}` : ""}
        {r.fixedIn ? `, fixed in ${r.fixedIn}` : ""}.
      </p>
      <p className="posting-text">{r.description}</p>
      <form className="triage" onSubmit={submit} aria-label={`Triage ${label}`}>
        <label>
          Severity
          <select name="severity" defaultValue={r.severity ?? ""} required>
            <option value="" disabled>
              choose…
            </option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={r.status}>
            {REPORT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Award
          <input
            name="award"
            type="number"
            min={0}
            step="0.01"
            defaultValue={r.award === null ? "" : (r.award / 100).toFixed(2)}
          />
        </label>
        <label>
          Fixed in
          <input name="fixedIn" maxLength={64} defaultValue={r.fixedIn ?? ""} />
        </label>
        <button type="submit" disabled={busy}>
          Save triage
        </button>
      </form>
      {error && <ErrorBox error={error} />}
    </article>
  );
}
