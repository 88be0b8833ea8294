/**
 * A release's concerns (GET /api/v1/concerns?target=<sha256>, which includes concerns on its
 * findings) with their answers. Auditors and reviewers may raise one; vendors answer. Every
 * concern and answer is appended to the transparency log; its index links to the log page.
 * Texts are rendered as React text only.
 */
import { type FormEvent, useState } from "react";
import { type ConcernWithAnswers, getJson, type Posting, send } from "../api.js";
import { ErrorBox, formatTime, Loaded } from "../components.js";
import { Link, useAsync } from "../router.js";
import { can, refreshSession, useSession } from "../session.js";

const RAISE = ["auditor", "reviewer"] as const;
const ANSWER = ["vendor"] as const;

async function loadConcerns(sha256: string): Promise<ConcernWithAnswers[]> {
  const { concerns } = await getJson<{ concerns: { id: number }[] }>(
    `/api/v1/concerns?target=${encodeURIComponent(sha256)}`,
  );
  return Promise.all(concerns.map((c) => getJson<ConcernWithAnswers>(`/api/v1/concerns/${c.id}`)));
}

export function Concerns({
  sha256,
  findings = [],
}: {
  sha256: string;
  /** The release's findings: a concern may be about one of them rather than the whole release. */
  findings?: readonly { id: string; message: string }[];
}) {
  const [about, setAbout] = useState("");
  const session = useSession();
  const [concerns, reload] = useAsync(() => loadConcerns(sha256), sha256);
  return (
    <section aria-labelledby="concerns-heading" data-testid="concerns">
      <h2 id="concerns-heading">Concerns</h2>
      <Loaded async={concerns} what="concerns">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No one has raised a concern about this release.</p>
          ) : (
            list.map((c) => (
              <article
                key={c.id}
                className="posting"
                aria-labelledby={`concern-${c.id}`}
                data-testid="concern"
              >
                <h3 id={`concern-${c.id}`}>
                  Concern #{c.id}
                  {c.target.kind === "finding" ? ` on finding ${c.target.ref.split("#")[1]}` : ""}
                </h3>
                <p className="posting-text">{c.text}</p>
                <Byline posting={c} />
                <Answers answers={c.answers} />
                {can(session, ANSWER) && (
                  <TextForm
                    label={`Answer to concern #${c.id}`}
                    button="Answer"
                    post={(text) => send("POST", `/api/v1/concerns/${c.id}/answers`, { text })}
                    done={reload}
                  />
                )}
              </article>
            ))
          )
        }
      </Loaded>
      {can(session, RAISE) ? (
        <>
          {findings.length > 0 && (
            <p>
              <label>
                About{" "}
                <select
                  aria-label="About"
                  value={about}
                  onChange={(e) => setAbout(e.currentTarget.value)}
                >
                  <option value="">the whole release</option>
                  {findings.map((f) => (
                    <option key={f.id} value={f.id}>
                      finding {f.id}: {f.message.slice(0, 80)}
                    </option>
                  ))}
                </select>
              </label>
            </p>
          )}
          <TextForm
            label={
              about
                ? `Raise a concern about finding ${about}`
                : "Raise a concern about this release"
            }
            button="Raise concern"
            post={(text) =>
              send("POST", "/api/v1/concerns", {
                target: about
                  ? { kind: "finding", ref: `${sha256}#${about}` }
                  : { kind: "release", ref: sha256 },
                text,
              })
            }
            done={reload}
          />
        </>
      ) : (
        session.state === "signed-out" && (
          <p className="muted">
            Auditors and reviewers can{" "}
            <Link to={`/sign-in?next=${encodeURIComponent(`/releases/${sha256}`)}`}>sign in</Link>{" "}
            to raise a concern; the vendor answers in public.
          </p>
        )
      )}
    </section>
  );
}

/** The answers under a concern, shown alike on every page that lists concerns. */
export function Answers({ answers }: { answers: ConcernWithAnswers["answers"] }) {
  return answers.map((a) => (
    <div key={a.id} className="posting" data-testid="answer">
      <p className="posting-text">{a.text}</p>
      <Byline posting={a} answer />
    </div>
  ));
}

export function Byline({ posting, answer = false }: { posting: Posting; answer?: boolean }) {
  return (
    <p className="byline" data-testid="byline">
      {answer ? "Answered" : "Raised"} by <strong>{posting.author}</strong> ({posting.role}) at{" "}
      <time dateTime={posting.createdAt}>{formatTime(posting.createdAt)}</time>,{" "}
      {posting.logIndex === null ? (
        "not logged"
      ) : (
        <>
          logged at index{" "}
          <Link to={`/transparency-log?index=${posting.logIndex}`} data-testid="log-index">
            {posting.logIndex}
          </Link>
        </>
      )}
    </p>
  );
}

/** One textarea and a button; `post` sends it, `done` reloads what it changed. */
export function TextForm(props: {
  label: string;
  button: string;
  post: (text: string) => Promise<unknown>;
  done: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get("text") ?? "").trim();
    if (!text) return;
    setBusy(true);
    setError(null);
    try {
      await props.post(text);
      form.reset();
      props.done();
    } catch (err) {
      setError(err as Error);
      // A session that ended elsewhere shows as signed out rather than failing again.
      await refreshSession().catch(() => undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stacked" onSubmit={submit} aria-label={props.label}>
      <label>
        {props.label}
        <textarea name="text" required maxLength={10_000} />
      </label>
      <p>
        <button type="submit" disabled={busy}>
          {props.button}
        </button>
      </p>
      {error && <ErrorBox error={error} />}
    </form>
  );
}
