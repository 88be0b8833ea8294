/** Telemetry: the gateway's public status and the data dictionary it enforces. */
import { CHANNELS, type ChannelInfo, gatewayStatus, getJson, getText } from "../api.js";
import { Loaded } from "../components.js";
import { Link, useAsync } from "../router.js";

export function Telemetry() {
  const [status] = useAsync(gatewayStatus, "gateway");
  const [dictionary] = useAsync(
    () => getJson<ChannelInfo>(`/api/v1/channels/${CHANNELS[3]}`),
    "dictionary",
  );
  const [audit] = useAsync(
    () => getText("/gateway/log/checkpoint").catch(() => null),
    "audit-checkpoint",
  );
  return (
    <>
      <h1>Telemetry</h1>
      <p className="lead">
        The audit gateway checks every telemetry record against the reviewed data dictionary,
        removes personal data, and logs a keyed commitment of each decision.
      </p>
      <Loaded async={status} what="the gateway's status">
        {(s) =>
          s === null ? (
            <p className="muted">This server runs no telemetry gateway.</p>
          ) : (
            <section aria-labelledby="gateway-heading">
              <h2 id="gateway-heading">Gateway {s.gateway}</h2>
              <dl className="facts">
                <dt>Dictionary version in force</dt>
                <dd data-testid="dictionary-version">
                  {s.dictionary ?? "none yet: the gateway forwards nothing until one is published"}
                </dd>
                <dt>Regions</dt>
                <dd>
                  <ul>
                    {s.regions.map((r) => (
                      <li key={r.region}>
                        {r.region}: {r.endpoints.length} vendor endpoint(s)
                      </li>
                    ))}
                  </ul>
                </dd>
                <dt>Tenants</dt>
                <dd>{s.tenants.map((t) => `${t.name} (${t.region})`).join(", ") || "none"}</dd>
                <dt>Spool</dt>
                <dd>
                  {Object.entries(s.spool)
                    .map(
                      ([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`,
                    )
                    .join(", ")}
                </dd>
                <dt>Audit log</dt>
                <dd>
                  <code>{s.auditLog.origin}</code>, key <code>{s.auditLog.verifierKey}</code>
                </dd>
              </dl>
            </section>
          )
        }
      </Loaded>
      <section aria-labelledby="dictionary-heading">
        <h2 id="dictionary-heading">Data dictionary</h2>
        <Loaded async={dictionary} what="the dictionary channel">
          {(d) =>
            d.latestPublished ? (
              <p>
                Newest published dictionary:{" "}
                <Link to={`/releases/${d.latestPublished.envelopeSha256}`}>
                  {d.latestPublished.version}
                </Link>
                .
              </p>
            ) : (
              <p className="muted">No dictionary has been published on the dictionary channel.</p>
            )
          }
        </Loaded>
      </section>
      <Loaded async={audit} what="the audit log">
        {(note) =>
          note ? (
            <section aria-labelledby="audit-heading">
              <h2 id="audit-heading">Audit log checkpoint</h2>
              <pre className="note">{note}</pre>
            </section>
          ) : null
        }
      </Loaded>
    </>
  );
}
