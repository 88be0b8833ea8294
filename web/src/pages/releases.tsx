/**
 * Releases: the list, filterable by channel and status. GET /api/v1/releases has no paging (it
 * returns every match, newest first), so the page pages the list it got, PAGE_SIZE at a time.
 */
import type { FormEvent } from "react";
import { CHANNELS, getJson, type ReleaseSummary, STATUSES } from "../api.js";
import { Digest, formatTime, Loaded, Status } from "../components.js";
import { Link, navigate, useAsync, useLocation } from "../router.js";

const PAGE_SIZE = 25;

function href(params: { channel?: string; status?: string; page?: number }): string {
  const q = new URLSearchParams();
  if (params.channel) q.set("channel", params.channel);
  if (params.status) q.set("status", params.status);
  if (params.page && params.page > 1) q.set("page", String(params.page));
  const s = q.toString();
  return s ? `/releases?${s}` : "/releases";
}

export function Releases() {
  const { query } = useLocation();
  const channel = (CHANNELS as readonly string[]).includes(query.get("channel") ?? "")
    ? (query.get("channel") as string)
    : "";
  const status = (STATUSES as readonly string[]).includes(query.get("status") ?? "")
    ? (query.get("status") as string)
    : "";
  const page = Math.max(1, Number(query.get("page")) || 1);
  const apiQuery = new URLSearchParams();
  if (channel) apiQuery.set("channel", channel);
  if (status) apiQuery.set("status", status);
  const [releases] = useAsync(
    () =>
      getJson<{ releases: ReleaseSummary[] }>(`/api/v1/releases?${apiQuery}`).then(
        (r) => r.releases,
      ),
    apiQuery.toString(),
  );

  const filter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    navigate(
      href({
        channel: String(form.get("channel") ?? ""),
        status: String(form.get("status") ?? ""),
      }),
    );
  };

  return (
    <>
      <h1>Releases</h1>
      <form className="filters" onSubmit={filter} aria-label="Filter releases">
        <label>
          Channel{" "}
          <select name="channel" defaultValue={channel} key={`c-${channel}`}>
            <option value="">all</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select name="status" defaultValue={status} key={`s-${status}`}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <Loaded async={releases} what="releases">
        {(list) => {
          const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
          const shown = list.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
          return (
            <>
              <p role="status">
                {list.length} release(s){channel ? ` on ${channel}` : ""}
                {status ? `, ${status}` : ""}.
              </p>
              {shown.length > 0 && (
                <table>
                  <caption className="visually-hidden">Releases, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Channel</th>
                      <th scope="col">Version</th>
                      <th scope="col">Status</th>
                      <th scope="col">Submitted</th>
                      <th scope="col">Log index</th>
                      <th scope="col">Statement</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((r) => (
                      <tr key={r.envelopeSha256}>
                        <td>{r.channel}</td>
                        <td>
                          <Link to={`/releases/${r.envelopeSha256}`}>{r.version}</Link>
                        </td>
                        <td>
                          <Status status={r.status} />
                        </td>
                        <td>{formatTime(r.submittedAt)}</td>
                        <td>{r.logIndex}</td>
                        <td>
                          <Digest value={r.envelopeSha256} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {pages > 1 && (
                <nav aria-label="Pages" className="pager">
                  {page > 1 && (
                    <Link to={href({ channel, status, page: page - 1 })} rel="prev">
                      Newer
                    </Link>
                  )}
                  <span>
                    Page {page} of {pages}
                  </span>
                  {page < pages && (
                    <Link to={href({ channel, status, page: page + 1 })} rel="next">
                      Older
                    </Link>
                  )}
                </nav>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
