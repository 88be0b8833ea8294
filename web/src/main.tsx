/**
 * The Transparency Center portal: public pages over the HTTP API, and for signed-in users
 * concerns on releases and the triage of vulnerability reports.
 */
import { StrictMode, useEffect, useRef, useState } from "react";
import "./workspace.css";
import { createRoot } from "react-dom/client";
import { Admin } from "./pages/admin.js";
import { LogPage } from "./pages/log.js";
import { NotFound } from "./pages/not-found.js";
import { Overview } from "./pages/overview.js";
import { ReleasePage } from "./pages/release.js";
import { Releases } from "./pages/releases.js";
import { ReviewQueue } from "./pages/review-queue.js";
import { Security } from "./pages/security.js";
import { SignIn } from "./pages/sign-in.js";
import { Submit } from "./pages/submit.js";
import { Telemetry } from "./pages/telemetry.js";
import { Link, navigate, useLocation } from "./router.js";
import { refreshSession, signOut, useSession } from "./session.js";

const NAV = [
  { to: "/", label: "Overview" },
  { to: "/releases", label: "Releases" },
  { to: "/transparency-log", label: "Log" },
  { to: "/telemetry", label: "Telemetry" },
  { to: "/security", label: "Security" },
];

/** Each role's own workspace, shown in the navigation to that role only (the server decides). */
const ROLE_NAV: Record<string, { to: string; label: string }> = {
  reviewer: { to: "/review", label: "Review queue" },
  vendor: { to: "/submit", label: "Submit" },
  admin: { to: "/admin", label: "Admin" },
};

function route(path: string) {
  if (path === "/") return { title: "Overview", page: <Overview /> };
  if (path === "/releases") return { title: "Releases", page: <Releases /> };
  const release = /^\/releases\/([0-9a-f]{64})$/.exec(path);
  if (release?.[1]) {
    return { title: "Release", page: <ReleasePage sha256={release[1]} key={release[1]} /> };
  }
  if (path === "/transparency-log") return { title: "Transparency log", page: <LogPage /> };
  if (path === "/telemetry") return { title: "Telemetry", page: <Telemetry /> };
  if (path === "/security") return { title: "Security", page: <Security /> };
  if (path === "/sign-in") return { title: "Sign in", page: <SignIn /> };
  if (path === "/review") return { title: "Review queue", page: <ReviewQueue /> };
  if (path === "/submit") return { title: "Submit a release", page: <Submit /> };
  if (path === "/admin") return { title: "Administration", page: <Admin /> };
  return { title: "Not found", page: <NotFound /> };
}

function App() {
  const { path } = useLocation();
  const { title, page } = route(path);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${title} · Crosscheck Transparency Center`;
    // Move focus to the new page so screen readers announce it.
    main.current?.focus();
  }, [title]);
  const section = path === "/" ? "/" : `/${path.split("/")[1]}`;
  const session = useSession();
  const own = session.state === "signed-in" ? ROLE_NAV[session.user.role] : undefined;
  const nav = own ? [...NAV, own] : NAV;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="site">
        <Link to="/" className="brand">
          Crosscheck <span>Transparency Center</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={section === item.to ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <Account path={path} />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
      <footer className="site">
        Everything here is read from the public API (<code>/api/v1</code>, <code>/log</code>) and
        can be checked independently; see <a href="/api/docs">the API documentation</a>.
      </footer>
    </>
  );
}

/** Who is signed in, with a sign-out button; or a link to sign in that comes back here. */
function Account({ path }: { path: string }) {
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  if (session.state === "checking") return null;
  if (session.state === "signed-out") {
    if (path === "/sign-in") return null;
    const here = `${path}${window.location.search}`;
    return (
      <div className="account">
        <Link to={here === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(here)}`}>
          Sign in
        </Link>
      </div>
    );
  }
  const out = async () => {
    setError(null);
    try {
      await signOut();
      if (path === "/sign-in") navigate("/");
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="account" data-testid="account">
      <span>
        Signed in as <strong data-testid="signed-in-name">{session.user.name}</strong> (
        {session.user.role})
      </span>{" "}
      <button type="button" onClick={out}>
        Sign out
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

// Who this browser's session cookie belongs to, and its CSRF token (kept in memory only).
refreshSession().catch(() => undefined);

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
