/**
 * Releases: the list, filterable by channel and status. GET /api/v1/releases answers a page,
 * newest first, and a `next` cursor when there are older ones: "Older releases" fetches the page
 * after it (`?before=<next>`) and adds it to the list. A server without the cursor answers
 * everything at once (no `next`), and the button never shows.
 */
import { type FormEvent, useState } from "react";
import { CHANNELS, getJson, type ReleaseSummary, STATUSES } from "../api.js";
import { Digest, ErrorBox, formatTime, Loaded, Status } from "../components.js";
import { Link, navigate, useAsync, useLocation } from "../router.js";

/** How many releases one request asks for. */
const PAGE_SIZE = 50;

interface ReleasePage {
  releases: ReleaseSummary[];
  /** The cursor of the next (older) page; null on the last page, absent from older servers. */
  next?: number | null;
}

function fetchReleases(apiQuery: string, before?: number): Promise<ReleasePage> {
  const q = new URLSearchParams(apiQuery);
  q.set("limit", String(PAGE_SIZE));
  if (before !== undefined) q.set("before", String(before));
  return getJson<ReleasePage>(`/api/v1/releases?${q}`);
}

function href(params: { channel?: string; status?: string }): string {
  const q = new URLSearchParams();
  if (params.channel) q.set("channel", params.channel);
  if (params.status) q.set("status", params.status);
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
  const apiQuery = new URLSearchParams();
  if (channel) apiQuery.set("channel", channel);
  if (status) apiQuery.set("status", status);
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
      <ReleaseList
        key={apiQuery.toString()}
        apiQuery={apiQuery.toString()}
        channel={channel}
        status={status}
      />
    </>
  );
}

function ReleaseList(props: { apiQuery: string; channel: string; status: string }) {
  const { apiQuery, channel, status } = props;
  const [first] = useAsync(() => fetchReleases(apiQuery), apiQuery);
  const [older, setOlder] = useState<ReleasePage[]>([]);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<Error | null>(null);
  return (
    <Loaded async={first} what="releases">
      {(firstPage) => {
        const list = [firstPage, ...older].flatMap((p) => p.releases);
        const last = older.at(-1) ?? firstPage;
        const next = typeof last.next === "number" ? last.next : null;
        const loadOlder = async () => {
          if (next === null) return;
          setLoadingOlder(true);
          setOlderError(null);
          try {
            const more = await fetchReleases(apiQuery, next);
            setOlder((pages) => [...pages, more]);
          } catch (err) {
            setOlderError(err as Error);
          } finally {
            setLoadingOlder(false);
          }
        };
        return (
          <>
            <p role="status">
              {list.length} release(s){channel ? ` on ${channel}` : ""}
              {status ? `, ${status}` : ""}
              {next !== null ? " shown; there are older ones" : ""}.
            </p>
            {list.length > 0 && (
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
                  {list.map((r) => (
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
            {next !== null && (
              <p className="pager">
                <button type="button" onClick={loadOlder} disabled={loadingOlder}>
                  Older releases
                </button>
                {loadingOlder && <span role="status">Loading older releases…</span>}
              </p>
            )}
            {olderError && <ErrorBox error={olderError} />}
          </>
        );
      }}
    </Loaded>
  );
}
