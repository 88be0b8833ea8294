/**
 * Sign in with a name and password (POST /api/v1/auth/signin). The server sets an HttpOnly
 * session cookie; the page keeps only the session's CSRF token, in memory. `?next=` (a path of
 * this site only) says where to go afterwards.
 */
import { type FormEvent, useState } from "react";
import { ErrorBox } from "../components.js";
import { navigate, useLocation } from "../router.js";
import { signIn, useSession } from "../session.js";

/** Only a path of this site: never another origin (`//host`, `/\host`) or a scheme. */
function safeNext(next: string | null): string {
  return next && /^\/(?![/\\])/.test(next) ? next : "/";
}

export function SignIn() {
  const { query } = useLocation();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const next = safeNext(query.get("next"));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(String(form.get("name") ?? ""), String(form.get("password") ?? ""));
      navigate(next);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Sign in</h1>
      {session.state === "signed-in" && (
        <p role="status">
          You are signed in as <strong>{session.user.name}</strong> ({session.user.role}).
        </p>
      )}
      <p className="muted">
        Accounts are for vendors, reviewers, auditors and administrators. Reading the portal, and
        reporting a vulnerability, need none.
      </p>
      <form className="stacked" onSubmit={submit} aria-label="Sign in">
        <label>
          Name
          <input name="name" autoComplete="username" required maxLength={64} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={1024}
          />
        </label>
        <p>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </p>
        {error && <ErrorBox error={error} />}
      </form>
    </>
  );
}
