/** Small pieces every page uses. Everything is rendered as text by React: nothing from the API is ever parsed as HTML. */
import type { ReactNode } from "react";
import type { Async } from "./router.js";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** A table's header row of plain column names (each a column header for screen readers). */
export function ColumnHeads({ names }: { names: string[] }) {
  return (
    <thead>
      <tr>
        {names.map((name) => (
          <th key={name} scope="col">
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function ErrorBox({ error }: { error: Error & { code?: string } }) {
  return (
    <div className="error" role="alert">
      <strong>{error.code ?? "Error"}</strong>: {error.message}
    </div>
  );
}

/** Renders `async` once loaded, else its loading or error state. */
export function Loaded<T>(props: {
  async: Async<T>;
  what: string;
  children: (value: T) => ReactNode;
}) {
  if (props.async.state === "loading") return <Loading what={props.what} />;
  if (props.async.state === "error") return <ErrorBox error={props.async.error} />;
  return <>{props.children(props.async.value)}</>;
}

/** A hex digest, shortened for reading; the full value is in the title and copyable text. */
export function Digest({ value, full = false }: { value: string; full?: boolean }) {
  return (
    <code className="digest" title={value}>
      {full ? value : `${value.slice(0, 16)}…`}
    </code>
  );
}

export function Status({ status }: { status: string }) {
  return <span className={`badge badge-${status.replace(/[^a-z-]/g, "")}`}>{status}</span>;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 ** 2) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 ** 2).toFixed(1)} MiB`;
}

export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace("T", " ").slice(0, 19);
}
