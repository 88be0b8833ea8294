/** The Transparency Center portal: public, read-only pages over the HTTP API. */
import { StrictMode, useEffect, useRef } from "react";
import { createRoot } from "react-dom/client";
import { LogPage } from "./pages/log.js";
import { NotFound } from "./pages/not-found.js";
import { Overview } from "./pages/overview.js";
import { ReleasePage } from "./pages/release.js";
import { Releases } from "./pages/releases.js";
import { Telemetry } from "./pages/telemetry.js";
import { Link, useLocation } from "./router.js";

const NAV = [
  { to: "/", label: "Overview" },
  { to: "/releases", label: "Releases" },
  { to: "/transparency-log", label: "Log" },
  { to: "/telemetry", label: "Telemetry" },
];

function route(path: string) {
  if (path === "/") return { title: "Overview", page: <Overview /> };
  if (path === "/releases") return { title: "Releases", page: <Releases /> };
  const release = /^\/releases\/([0-9a-f]{64})$/.exec(path);
  if (release?.[1]) {
    return { title: "Release", page: <ReleasePage sha256={release[1]} key={release[1]} /> };
  }
  if (path === "/transparency-log") return { title: "Transparency log", page: <LogPage /> };
  if (path === "/telemetry") return { title: "Telemetry", page: <Telemetry /> };
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
            {NAV.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={section === item.to ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
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

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
