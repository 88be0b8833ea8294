/**
 * Overview: each channel's newest published release, releases waiting for review, the log's
 * checkpoint with the witnesses that cosigned it and when, and the gateway.
 */
import {
  CHANNELS,
  type ChannelInfo,
  checkpointSize,
  gatewayStatus,
  getJson,
  getText,
  type ReleaseSummary,
} from "../api.js";
import { formatBytes, formatTime, Loaded, Status } from "../components.js";
import { loadPolicy } from "../policy.js";
import { Link, useAsync } from "../router.js";
import { witnessStates } from "../witnesses.js";

/** Today's totals of `GET /api/v1/gateway/stats` (src/gateway, `StatisticsReport`). */
interface TelemetryToday {
  records: number;
  forwarded: number;
  blocked: number;
  quarantined: number;
  bytesOut: number;
}

export function Overview() {
  const [channels] = useAsync(
    () => Promise.all(CHANNELS.map((c) => getJson<ChannelInfo>(`/api/v1/channels/${c}`))),
    "channels",
  );
  const [checkpoint] = useAsync(async () => {
    const note = await getText("/log/checkpoint");
    return { note, witnesses: witnessStates(note, await loadPolicy()) };
  }, "checkpoint");
  const [pending] = useAsync(
    () =>
      getJson<{ releases: ReleaseSummary[]; next: number | null }>(
        "/api/v1/releases?status=in-review&limit=20",
      ),
    "pending",
  );
  const [gateway] = useAsync(async () => {
    const status = await gatewayStatus();
    if (!status) return null;
    const stats = await getJson<{ today: TelemetryToday }>("/api/v1/gateway/stats?days=1");
    return { status, today: stats.today };
  }, "gateway");
  return (
    <>
      <h1>Overview</h1>
      <p className="lead">
        Every release here was signed by its vendor, analysed, approved by independent reviewers,
        and recorded in a witnessed transparency log. Anyone can check each step.
      </p>

      <section aria-labelledby="channels-heading">
        <h2 id="channels-heading">Channels</h2>
        <Loaded async={channels} what="channels">
          {(list) => (
            <table>
              <caption className="visually-hidden">Newest published release per channel</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Latest published</th>
                  <th scope="col">Published</th>
                  <th scope="col">Newest submitted</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.channel}>
                    <th scope="row">
                      <Link to={`/releases?channel=${c.channel}`}>{c.channel}</Link>
                    </th>
                    <td>
                      {c.latestPublished ? (
                        <Link to={`/releases/${c.latestPublished.envelopeSha256}`}>
                          {c.latestPublished.version}
                        </Link>
                      ) : (
                        <span className="muted">none yet</span>
                      )}
                    </td>
                    <td>{formatTime(c.latestPublished?.publishedAt ?? null)}</td>
                    <td>
                      {c.newestSubmitted ? (
                        <>
                          <Link to={`/releases/${c.newestSubmitted.envelopeSha256}`}>
                            {c.newestSubmitted.version}
                          </Link>{" "}
                          <Status status={c.newestSubmitted.status} />
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </section>

      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">Waiting for review</h2>
        <Loaded async={pending} what="releases in review">
          {({ releases, next }) =>
            releases.length === 0 ? (
              <p className="muted">No release is waiting for reviewers.</p>
            ) : (
              <ul data-testid="pending-reviews">
                {releases.map((r) => (
                  <li key={r.envelopeSha256}>
                    <Link to={`/releases/${r.envelopeSha256}`}>
                      {r.channel} {r.version}
                    </Link>
                    , submitted {formatTime(r.submittedAt)}
                  </li>
                ))}
                {next !== null && (
                  <li>
                    <Link to="/releases?status=in-review">more…</Link>
                  </li>
                )}
              </ul>
            )
          }
        </Loaded>
      </section>

      <section aria-labelledby="log-heading">
        <h2 id="log-heading">Transparency log</h2>
        <Loaded async={checkpoint} what="the checkpoint">
          {({ note, witnesses }) => (
            <>
              <p>
                The log holds <strong data-testid="log-size">{checkpointSize(note)}</strong>{" "}
                entries. Its newest witnessed checkpoint:
              </p>
              <pre className="note" data-testid="checkpoint">
                {note}
              </pre>
              <table data-testid="witnesses">
                <caption>Witnesses of the trust policy, checked in this page</caption>
                <thead>
                  <tr>
                    <th scope="col">Witness</th>
                    <th scope="col">Cosigned this checkpoint</th>
                  </tr>
                </thead>
                <tbody>
                  {witnesses.map((w) => (
                    <tr key={w.name}>
                      <td>{w.name}</td>
                      <td>
                        {w.cosignedAt === null
                          ? "no"
                          : `at ${formatTime(new Date(w.cosignedAt * 1000).toISOString())}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                <Link to="/transparency-log">Check an entry's inclusion</Link>
              </p>
            </>
          )}
        </Loaded>
      </section>

      <section aria-labelledby="gateway-heading">
        <h2 id="gateway-heading">Telemetry gateway</h2>
        <Loaded async={gateway} what="the gateway's status">
          {(gw) =>
            gw ? (
              <>
                <p>
                  Gateway <strong>{gw.status.gateway}</strong>, dictionary{" "}
                  {gw.status.dictionary ? (
                    <code>{gw.status.dictionary}</code>
                  ) : (
                    <span className="muted">none published yet</span>
                  )}
                  , {gw.status.tenants.length} tenant(s) in {gw.status.regions.length} region(s).{" "}
                  <Link to="/telemetry">Details</Link>
                </p>
                <p data-testid="telemetry-today">
                  Today: {gw.today.records} record(s) received, {gw.today.forwarded} forwarded,{" "}
                  {gw.today.blocked} blocked, {gw.today.quarantined} quarantined;{" "}
                  {formatBytes(gw.today.bytesOut)} sent to vendors.
                </p>
              </>
            ) : (
              <p className="muted">This server runs no telemetry gateway.</p>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
