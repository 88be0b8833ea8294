/** Overview: each channel's newest published release, the log's checkpoint, the gateway. */
import {
  CHANNELS,
  type ChannelInfo,
  checkpointSize,
  gatewayStatus,
  getJson,
  getText,
} from "../api.js";
import { formatTime, Loaded, Status } from "../components.js";
import { Link, useAsync } from "../router.js";

export function Overview() {
  const [channels] = useAsync(
    () => Promise.all(CHANNELS.map((c) => getJson<ChannelInfo>(`/api/v1/channels/${c}`))),
    "channels",
  );
  const [checkpoint] = useAsync(() => getText("/log/checkpoint"), "checkpoint");
  const [gateway] = useAsync(gatewayStatus, "gateway");
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

      <section aria-labelledby="log-heading">
        <h2 id="log-heading">Transparency log</h2>
        <Loaded async={checkpoint} what="the checkpoint">
          {(note) => (
            <>
              <p>
                The log holds <strong data-testid="log-size">{checkpointSize(note)}</strong>{" "}
                entries. Its newest witnessed checkpoint:
              </p>
              <pre className="note" data-testid="checkpoint">
                {note}
              </pre>
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
          {(status) =>
            status ? (
              <p>
                Gateway <strong>{status.gateway}</strong>, dictionary{" "}
                {status.dictionary ? (
                  <code>{status.dictionary}</code>
                ) : (
                  <span className="muted">none published yet</span>
                )}
                , {status.tenants.length} tenant(s) in {status.regions.length} region(s).{" "}
                <Link to="/telemetry">Details</Link>
              </p>
            ) : (
              <p className="muted">This server runs no telemetry gateway.</p>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
