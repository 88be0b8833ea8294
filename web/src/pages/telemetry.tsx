/**
 * Telemetry: what the audit gateway let out and why. The gateway's public status, its daily
 * statistics (records per event type and day, personal data found per entity type, blocked and
 * quarantined records, bytes per region and the addresses they went to) and the reviewed data
 * dictionary it enforces, where a signed-in auditor or reviewer can raise a concern on a field.
 *
 * Charts are inline SVG drawn by React (the CSP forbids inline styles: geometry is attributes,
 * colours are classes); every chart has a table with the same numbers beside it. Everything from
 * the API — field names and purposes from the vendor-signed dictionary, tenant names, addresses —
 * is rendered as React text.
 */
import { type ReactNode, useState } from "react";
import {
  ApiError,
  CHANNELS,
  type ChannelInfo,
  type ConcernWithAnswers,
  gatewayStatus,
  getJson,
  getText,
  send,
} from "../api.js";
import { ColumnHeads, formatBytes, Loaded } from "../components.js";
import { Link, useAsync } from "../router.js";
import { can, useSession } from "../session.js";
import { Answers, Byline, TextForm } from "./concerns.js";

// ——— what the gateway API answers (src/gateway/http.ts) ———

interface Counts {
  records: number;
  forwarded: number;
  blocked: number;
  quarantined: number;
  bytesIn: number;
  bytesOut: number;
}
type Totals = Counts & { redactions: number };
interface Delivered {
  batches: number;
  bytes: number;
}

/** `StatisticsReport` of GET /api/v1/gateway/stats. */
interface Statistics {
  gateway: string;
  from: string;
  to: string;
  today: Totals & { day: string; delivered: Delivered };
  totals: Totals & { delivered: Delivered };
  days: (Totals & { day: string })[];
  eventTypes: (Counts & { eventType: string; days: { day: string; records: number }[] })[];
  entities: { entity: string; count: number; days: { day: string; count: number }[] }[];
  tenants: (Totals & { tenant: string; region: string | null })[];
  regions: (Counts & {
    region: string;
    delivered: (Delivered & { destination: string })[];
  })[];
}

/** `PublishedField` and `PublishedDictionary` of GET /api/v1/gateway/dictionary. */
interface Field {
  path: string;
  type: string;
  items?: string;
  purpose: string;
  sensitivity: string;
  retentionDays: number;
  required: boolean;
  description?: string;
  values?: string[];
}
interface Dictionary {
  name: string;
  version: string;
  verified: boolean;
  description?: string;
  common: Field[];
  events: { name: string; description: string; fields: Field[] }[];
}

const RANGES = [7, 14, 30, 90] as const;
/** What the statistics count records under when they have no declared type (never a sender's text). */
const BUCKETS: Readonly<Record<string, string>> = {
  "(none)": "no event type (not JSON, or no event field)",
  "(undeclared)": "an event type the dictionary does not declare",
};
const ENTITY_NAMES: Readonly<Record<string, string>> = {
  EMAIL: "e-mail addresses",
  PHONE: "phone numbers",
  IPV4: "IPv4 addresses",
  IPV6: "IPv6 addresses",
  MAC: "MAC addresses",
  CREDIT_CARD: "payment card numbers",
  IBAN: "bank accounts (IBAN)",
  US_SSN: "US social security numbers",
  NATIONAL_ID: "national identity numbers",
  PATH_USER: "user names in paths",
  HOSTNAME: "host names",
  DOMAIN_ACCOUNT: "accounts",
  SECRET: "secrets (keys, tokens, passwords)",
  PERSON: "names of people",
  UNDECLARED: "undeclared fields, dropped",
  FIELD: "whole fields, by tenant policy",
};
/** Concern targets the accounts API accepts for a dictionary field (`<event>/<field>`). */
const FIELD_REF = /^[A-Za-z0-9_.-]{1,128}\/[A-Za-z0-9_.[\]/-]{1,256}$/;
/** The event name concerns use for the fields every event carries. */
const COMMON = "common";
const RAISE = ["auditor", "reviewer"] as const;
/** The chart gives this many event types a colour of their own; the rest share one. */
const SERIES = 7;

const number = new Intl.NumberFormat("en-US");
const fmt = (n: number) => number.format(n);
const lookup = (table: Readonly<Record<string, string>>, key: string) =>
  Object.hasOwn(table, key) ? table[key] : undefined;

async function loadStatistics(days: number): Promise<Statistics | null> {
  try {
    return await getJson<Statistics>(`/api/v1/gateway/stats?days=${days}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** The dictionary in force; null before the first one, undefined when there is no gateway. */
async function loadDictionary(): Promise<Dictionary | null | undefined> {
  try {
    return await getJson<Dictionary>("/api/v1/gateway/dictionary");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    if (err instanceof ApiError && err.code === "E_DICTIONARY_UNAVAILABLE") return null;
    throw err;
  }
}

/** Concerns raised on dictionary fields, newest first, with their answers. */
async function loadFieldConcerns(): Promise<ConcernWithAnswers[]> {
  const { concerns } = await getJson<{ concerns: ConcernWithAnswers[] }>(
    "/api/v1/concerns?limit=1000",
  );
  const onFields = concerns.filter((c) => c.target.kind === "dictionary-field").slice(0, 100);
  return Promise.all(onFields.map((c) => getJson<ConcernWithAnswers>(`/api/v1/concerns/${c.id}`)));
}

export function Telemetry() {
  const [status] = useAsync(gatewayStatus, "gateway");
  const [channel] = useAsync(
    () => getJson<ChannelInfo>(`/api/v1/channels/${CHANNELS[3]}`),
    "dictionary-channel",
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
            <>
              <section aria-labelledby="gateway-heading">
                <h2 id="gateway-heading">Gateway {s.gateway}</h2>
                <dl className="facts">
                  <dt>Dictionary version in force</dt>
                  <dd data-testid="dictionary-version">
                    {s.dictionary ??
                      "none yet: the gateway forwards nothing until one is published"}
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
                        ([k, v]) =>
                          `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`,
                      )
                      .join(", ")}
                  </dd>
                  <dt>Audit log</dt>
                  <dd>
                    <code>{s.auditLog.origin}</code>, key <code>{s.auditLog.verifierKey}</code>
                  </dd>
                </dl>
              </section>
              <TelemetryStatistics />
            </>
          )
        }
      </Loaded>
      <section aria-labelledby="dictionary-heading">
        <h2 id="dictionary-heading">Data dictionary</h2>
        <Loaded async={channel} what="the dictionary channel">
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
        <DictionaryInForce />
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

// ——— statistics ———

function TelemetryStatistics() {
  const [days, setDays] = useState<number>(14);
  const [stats] = useAsync(() => loadStatistics(days), `stats-${days}`);
  return (
    <section aria-labelledby="stats-heading" data-testid="telemetry-statistics">
      <h2 id="stats-heading">What passed the gateway</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Period{" "}
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {RANGES.map((n) => (
              <option key={n} value={n}>
                last {n} days
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded async={stats} what="the gateway's statistics">
        {(s) => (s === null ? null : <StatisticsView stats={s} />)}
      </Loaded>
    </section>
  );
}

function StatisticsView({ stats }: { stats: Statistics }) {
  const { today, totals } = stats;
  return (
    <>
      <p className="muted">
        UTC days {stats.from} to {stats.to}. Counts only: no record content is published.
      </p>
      <div className="stat-cards" data-testid="stats-today">
        <StatCard label="Records today" value={fmt(today.records)} testid="today-records" />
        <StatCard label="Forwarded today" value={fmt(today.forwarded)} testid="today-forwarded" />
        <StatCard label="Blocked today" value={fmt(today.blocked)} testid="today-blocked" />
        <StatCard
          label="Quarantined today"
          value={fmt(today.quarantined)}
          testid="today-quarantined"
        />
        <StatCard
          label="Personal data found today"
          value={fmt(today.redactions)}
          testid="today-redactions"
        />
        <StatCard
          label="Delivered today"
          value={formatBytes(today.delivered.bytes)}
          testid="today-delivered"
        />
      </div>
      <dl className="facts" data-testid="stats-totals">
        <dt>Records in the period</dt>
        <dd>{fmt(totals.records)}</dd>
        <dt>Forwarded</dt>
        <dd>{fmt(totals.forwarded)}</dd>
        <dt>Blocked</dt>
        <dd data-testid="total-blocked">{fmt(totals.blocked)}</dd>
        <dt>Quarantined</dt>
        <dd data-testid="total-quarantined">{fmt(totals.quarantined)}</dd>
        <dt>Received / forwardable</dt>
        <dd>
          {formatBytes(totals.bytesIn)} / {formatBytes(totals.bytesOut)}
        </dd>
        <dt>Delivered to the vendor</dt>
        <dd>
          {formatBytes(totals.delivered.bytes)} in {fmt(totals.delivered.batches)} batch(es)
        </dd>
      </dl>
      <RecordsPerDay stats={stats} />
      <RecordsPerEventType stats={stats} />
      <PersonalData stats={stats} />
      <BytesPerRegion stats={stats} />
      <Tenants stats={stats} />
    </>
  );
}

function StatCard(props: { label: string; value: string; testid: string }) {
  return (
    <div className="stat-card">
      <span className="stat-label">{props.label}</span>
      <span className="stat-value" data-testid={props.testid}>
        {props.value}
      </span>
    </div>
  );
}

/** Stacked bars of records per day, one colour per event type (the most frequent ones). */
function RecordsPerDay({ stats }: { stats: Statistics }) {
  const ranked = [...stats.eventTypes].sort((a, b) => b.records - a.records);
  const named = ranked.slice(0, SERIES);
  const others = ranked.slice(SERIES);
  const series = [
    ...named.map((e, i) => ({ name: e.eventType, className: `series-${i}`, days: e.days })),
    ...(others.length > 0
      ? [
          {
            name: `${others.length} other type(s)`,
            className: "series-other",
            days: others.flatMap((e) => e.days),
          },
        ]
      : []),
  ];
  const perDay = series.map((s) => {
    const byDay = new Map<string, number>();
    for (const d of s.days) byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.records);
    return byDay;
  });
  const W = 760;
  const H = 240;
  const left = 48;
  const bottom = 28;
  const top = 10;
  const plotH = H - top - bottom;
  const n = stats.days.length;
  const slot = (W - left - 8) / n;
  const barW = Math.max(1, slot * 0.7);
  const max = niceMax(Math.max(0, ...stats.days.map((d) => d.records)));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const labelEvery = Math.ceil(n / 10);
  return (
    <section aria-labelledby="per-day-heading">
      <h3 id="per-day-heading">Records per day</h3>
      <figure className="chart">
        <svg
          className="chart-svg"
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-labelledby="per-day-title"
          data-testid="chart-per-day"
        >
          <title id="per-day-title">
            {`Records per day and event type, ${stats.from} to ${stats.to}; the numbers are in the table below.`}
          </title>
          {[0, max / 2, max].map((v) => (
            <g key={v} className="chart-grid">
              <line x1={left} x2={W - 4} y1={y(v)} y2={y(v)} />
              <text x={left - 6} y={y(v) + 4} textAnchor="end">
                {fmt(Math.round(v))}
              </text>
            </g>
          ))}
          {stats.days.map((d, i) => {
            let base = 0;
            const x = left + i * slot + (slot - barW) / 2;
            return (
              <g key={d.day}>
                {series.map((s, k) => {
                  const v = perDay[k]?.get(d.day) ?? 0;
                  if (v === 0) return null;
                  const rect = (
                    <rect
                      key={s.name}
                      className={s.className}
                      x={x}
                      width={barW}
                      y={y(base + v)}
                      height={Math.max(0.5, y(base) - y(base + v))}
                    >
                      <title>{`${d.day}, ${s.name}: ${fmt(v)} record(s)`}</title>
                    </rect>
                  );
                  base += v;
                  return rect;
                })}
                {i % labelEvery === 0 || i === n - 1 ? (
                  <text className="chart-label" x={x + barW / 2} y={H - 8} textAnchor="middle">
                    {d.day.slice(5)}
                  </text>
                ) : null}
              </g>
            );
          })}
        </svg>
        <figcaption>
          <Legend items={series.map((s) => ({ name: s.name, className: s.className }))} />
        </figcaption>
      </figure>
      <details>
        <summary>Records per day as a table</summary>
        <table data-testid="table-per-day">
          <caption className="visually-hidden">Records per day</caption>
          <ColumnHeads
            names={[
              "Day (UTC)",
              "Records",
              "Forwarded",
              "Blocked",
              "Quarantined",
              "Personal data found",
              "Received",
              "Forwardable",
            ]}
          />
          <tbody>
            {[...stats.days].reverse().map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td className="num">{fmt(d.records)}</td>
                <td className="num">{fmt(d.forwarded)}</td>
                <td className="num">{fmt(d.blocked)}</td>
                <td className="num">{fmt(d.quarantined)}</td>
                <td className="num">{fmt(d.redactions)}</td>
                <td className="num">{formatBytes(d.bytesIn)}</td>
                <td className="num">{formatBytes(d.bytesOut)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

/** Per event type: forwarded, blocked and quarantined stacked, and the table of every count. */
function RecordsPerEventType({ stats }: { stats: Statistics }) {
  const types = [...stats.eventTypes].sort((a, b) => b.records - a.records);
  return (
    <section aria-labelledby="per-type-heading">
      <h3 id="per-type-heading">Records per event type</h3>
      {types.length === 0 ? (
        <p className="muted">No records in this period.</p>
      ) : (
        <>
          <BarRows
            id="per-type"
            title="Records per event type: forwarded, blocked and quarantined"
            rows={types.map((t) => ({
              label: t.eventType,
              parts: [
                { value: t.forwarded, className: "part-forwarded", what: "forwarded" },
                { value: t.blocked, className: "part-blocked", what: "blocked" },
                { value: t.quarantined, className: "part-quarantined", what: "quarantined" },
              ],
            }))}
          />
          <Legend
            items={[
              { name: "forwarded", className: "part-forwarded" },
              { name: "blocked", className: "part-blocked" },
              { name: "quarantined", className: "part-quarantined" },
            ]}
          />
          <table data-testid="table-per-type">
            <caption className="visually-hidden">Records per event type</caption>
            <ColumnHeads
              names={[
                "Event type",
                "Records",
                "Forwarded",
                "Blocked",
                "Quarantined",
                "Received",
                "Forwardable",
              ]}
            />
            <tbody>
              {types.map((t) => (
                <tr key={t.eventType} data-testid="event-type-row" data-event-type={t.eventType}>
                  <th scope="row">
                    <EventTypeName name={t.eventType} />
                  </th>
                  <td className="num" data-testid="records">
                    {fmt(t.records)}
                  </td>
                  <td className="num" data-testid="forwarded">
                    {fmt(t.forwarded)}
                  </td>
                  <td className="num" data-testid="blocked">
                    {fmt(t.blocked)}
                  </td>
                  <td className="num" data-testid="quarantined">
                    {fmt(t.quarantined)}
                  </td>
                  <td className="num">{formatBytes(t.bytesIn)}</td>
                  <td className="num">{formatBytes(t.bytesOut)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function EventTypeName({ name }: { name: string }) {
  const bucket = lookup(BUCKETS, name);
  if (bucket) return <em>{bucket}</em>;
  return <code>{name}</code>;
}

function PersonalData({ stats }: { stats: Statistics }) {
  const entities = [...stats.entities].sort((a, b) => b.count - a.count);
  return (
    <section aria-labelledby="pii-heading">
      <h3 id="pii-heading">Personal data found, by entity type</h3>
      <p className="muted">
        Each finding was masked, pseudonymised, dropped or blocked its record, as the tenant's
        policy says.
      </p>
      {entities.length === 0 ? (
        <p className="muted">No personal data was found in this period.</p>
      ) : (
        <>
          <BarRows
            id="pii"
            title="Personal data found per entity type"
            rows={entities.map((e) => ({
              label: e.entity,
              parts: [{ value: e.count, className: "part-found", what: "found" }],
            }))}
          />
          <table data-testid="table-entities">
            <caption className="visually-hidden">Personal data found per entity type</caption>
            <ColumnHeads names={["Entity type", "What it is", "Found"]} />
            <tbody>
              {entities.map((e) => (
                <tr key={e.entity} data-testid="entity-row" data-entity={e.entity}>
                  <th scope="row">
                    <code>{e.entity}</code>
                  </th>
                  <td>{lookup(ENTITY_NAMES, e.entity) ?? ""}</td>
                  <td className="num" data-testid="count">
                    {fmt(e.count)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function BytesPerRegion({ stats }: { stats: Statistics }) {
  return (
    <section aria-labelledby="regions-heading">
      <h3 id="regions-heading">Bytes per region and destination</h3>
      <p className="muted">
        Data leaves only for endpoints of its tenant's region; each delivery names the address the
        gateway connected to.
      </p>
      <BarRows
        id="regions"
        title="Bytes delivered per region"
        format={formatBytes}
        rows={stats.regions.map((r) => ({
          label: r.region,
          parts: [
            {
              value: r.delivered.reduce((n, d) => n + d.bytes, 0),
              className: "part-forwarded",
              what: "delivered",
            },
          ],
        }))}
      />
      <table data-testid="table-regions">
        <caption className="visually-hidden">Bytes per region and destination</caption>
        <ColumnHeads
          names={[
            "Region",
            "Records",
            "Received",
            "Forwardable",
            "Destination",
            "Batches",
            "Delivered",
          ]}
        />
        <tbody>
          {stats.regions.flatMap((r) => {
            const first = r.delivered[0];
            const span = Math.max(1, r.delivered.length);
            const head = (
              <>
                <th scope="rowgroup" rowSpan={span}>
                  {r.region}
                </th>
                <td className="num" rowSpan={span}>
                  {fmt(r.records)}
                </td>
                <td className="num" rowSpan={span}>
                  {formatBytes(r.bytesIn)}
                </td>
                <td className="num" rowSpan={span}>
                  {formatBytes(r.bytesOut)}
                </td>
              </>
            );
            if (!first) {
              return [
                <tr key={r.region} data-testid="region-row" data-region={r.region}>
                  {head}
                  <td className="muted" colSpan={3}>
                    nothing delivered
                  </td>
                </tr>,
              ];
            }
            return r.delivered.map((d, i) => (
              <tr
                key={`${r.region} ${d.destination}`}
                data-testid="destination-row"
                data-region={r.region}
              >
                {i === 0 ? head : null}
                <td>
                  <code>{d.destination}</code>
                </td>
                <td className="num">{fmt(d.batches)}</td>
                <td className="num" data-testid="delivered-bytes" data-bytes={d.bytes}>
                  {formatBytes(d.bytes)}
                </td>
              </tr>
            ));
          })}
        </tbody>
      </table>
    </section>
  );
}

function Tenants({ stats }: { stats: Statistics }) {
  if (stats.tenants.length === 0) return null;
  return (
    <section aria-labelledby="tenants-heading">
      <h3 id="tenants-heading">Per tenant</h3>
      <table data-testid="table-tenants">
        <caption className="visually-hidden">Records per tenant</caption>
        <ColumnHeads
          names={[
            "Tenant",
            "Region",
            "Records",
            "Forwarded",
            "Blocked",
            "Quarantined",
            "Personal data found",
          ]}
        />
        <tbody>
          {stats.tenants.map((t) => (
            <tr key={t.tenant} data-testid="tenant-row" data-tenant={t.tenant}>
              <th scope="row">{t.tenant}</th>
              <td>{t.region ?? "no longer configured"}</td>
              <td className="num">{fmt(t.records)}</td>
              <td className="num">{fmt(t.forwarded)}</td>
              <td className="num">{fmt(t.blocked)}</td>
              <td className="num">{fmt(t.quarantined)}</td>
              <td className="num">{fmt(t.redactions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// ——— chart pieces ———

interface BarRow {
  label: string;
  parts: { value: number; className: string; what: string }[];
}

/** Horizontal bars, one row per label, each bar the parts stacked left to right. */
function BarRows(props: {
  id: string;
  title: string;
  rows: BarRow[];
  format?: (n: number) => string;
}) {
  const format = props.format ?? fmt;
  const W = 760;
  const rowH = 26;
  const labelW = 200;
  const valueW = 90;
  const H = props.rows.length * rowH + 4;
  const total = (r: BarRow) => r.parts.reduce((n, p) => n + p.value, 0);
  const max = Math.max(1, ...props.rows.map(total));
  const scale = (v: number) => (v / max) * (W - labelW - valueW);
  return (
    <svg
      className="chart-svg"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby={`${props.id}-title`}
      data-testid={`chart-${props.id}`}
    >
      <title id={`${props.id}-title`}>
        {`${props.title}; the numbers are in the table below.`}
      </title>
      {props.rows.map((r, i) => {
        const y = i * rowH + 4;
        let x = labelW;
        const label = r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label;
        return (
          <g key={r.label}>
            <text className="chart-label" x={labelW - 8} y={y + rowH / 2 + 2} textAnchor="end">
              {label}
            </text>
            {r.parts.map((p) => {
              if (p.value === 0) return null;
              const width = Math.max(1, scale(p.value));
              const rect = (
                <rect
                  key={p.what}
                  className={p.className}
                  x={x}
                  y={y}
                  width={width}
                  height={rowH - 8}
                >
                  <title>{`${r.label}: ${format(p.value)} ${p.what}`}</title>
                </rect>
              );
              x += width;
              return rect;
            })}
            <text className="chart-label" x={x + 6} y={y + rowH / 2 + 2}>
              {format(total(r))}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Legend({ items }: { items: { name: string; className: string }[] }) {
  return (
    <ul className="chart-legend">
      {items.map((item) => (
        <li key={item.name}>
          <svg className="swatch" viewBox="0 0 10 10" aria-hidden="true">
            <rect className={item.className} width="10" height="10" />
          </svg>
          {item.name}
        </li>
      ))}
    </ul>
  );
}

/** A round axis maximum above `v`: 1, 2 or 5 times a power of ten. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}

// ——— the dictionary ———

function DictionaryInForce() {
  const [dictionary] = useAsync(loadDictionary, "gateway-dictionary");
  const [concerns, reloadConcerns] = useAsync(loadFieldConcerns, "field-concerns");
  return (
    <Loaded async={dictionary} what="the dictionary in force">
      {(d) =>
        d === undefined ? null : d === null ? (
          <p className="muted">The gateway enforces no dictionary yet.</p>
        ) : (
          <DictionaryView
            dictionary={d}
            concerns={concerns.state === "done" ? concerns.value : []}
            concernsView={
              <Loaded async={concerns} what="concerns on dictionary fields">
                {(list) => <FieldConcerns concerns={list} />}
              </Loaded>
            }
            reloadConcerns={reloadConcerns}
          />
        )
      }
    </Loaded>
  );
}

function DictionaryView(props: {
  dictionary: Dictionary;
  concerns: ConcernWithAnswers[];
  concernsView: ReactNode;
  reloadConcerns: () => void;
}) {
  const d = props.dictionary;
  const counts = new Map<string, number>();
  for (const c of props.concerns) counts.set(c.target.ref, (counts.get(c.target.ref) ?? 0) + 1);
  const groups = [
    {
      event: COMMON,
      heading: "Fields of every event",
      description: "Every event carries these, and event, its type's name.",
      fields: d.common,
    },
    ...d.events.map((e) => ({
      event: e.name,
      heading: e.name,
      description: e.description,
      fields: e.fields,
    })),
  ];
  return (
    <div data-testid="dictionary">
      <p>
        In force: <strong>{d.name}</strong> version{" "}
        <span data-testid="dictionary-in-force">{d.version}</span>, {d.events.length} event types.
        {d.description ? ` ${d.description}` : ""}
      </p>
      {!d.verified && (
        <p className="error" role="alert">
          This gateway runs on a dictionary file that was not reviewed (development only).
        </p>
      )}
      {groups.map((g) => (
        <details key={g.event} open className="dictionary-event" data-testid="dictionary-event">
          <summary>
            <h3 className="inline-heading">
              {g.event === COMMON ? g.heading : <code>{g.heading}</code>}
            </h3>{" "}
            <span className="muted">({g.fields.length} fields)</span>
          </summary>
          <p>{g.description}</p>
          <table className="dictionary-fields">
            <caption className="visually-hidden">
              {g.event === COMMON ? "Fields of every event" : `Fields of event ${g.event}`}
            </caption>
            <ColumnHeads
              names={["Field", "Type", "Purpose", "Sensitivity", "Retention", "Concerns"]}
            />
            <tbody>
              {g.fields.map((f) => {
                const ref = `${g.event}/${f.path}`;
                return (
                  <tr key={f.path} data-testid="dictionary-field" data-field={ref}>
                    <th scope="row">
                      <code>{f.path}</code>
                      {f.required ? <span className="muted"> (required)</span> : null}
                    </th>
                    <td>
                      <code>{f.type === "array" ? `array of ${f.items ?? "?"}` : f.type}</code>
                      {f.values ? <div className="muted">one of: {f.values.join(", ")}</div> : null}
                    </td>
                    <td>
                      {f.purpose}
                      {f.description ? <div className="muted">{f.description}</div> : null}
                    </td>
                    <td>
                      <span
                        className={`badge sensitivity-${f.sensitivity.replace(/[^a-z_]/g, "")}`}
                      >
                        {f.sensitivity.replace(/_/g, " ")}
                      </span>
                    </td>
                    <td className="num">{f.retentionDays} days</td>
                    <td className="num">{counts.get(ref) ?? 0}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </details>
      ))}
      <section aria-labelledby="field-concerns-heading" data-testid="field-concerns">
        <h3 id="field-concerns-heading">Concerns on dictionary fields</h3>
        {props.concernsView}
        <RaiseFieldConcern groups={groups} done={props.reloadConcerns} />
      </section>
    </div>
  );
}

function FieldConcerns({ concerns }: { concerns: ConcernWithAnswers[] }) {
  if (concerns.length === 0) {
    return <p className="muted">No one has raised a concern about a dictionary field.</p>;
  }
  return (
    <>
      {concerns.map((c) => (
        <article
          key={c.id}
          className="posting"
          aria-labelledby={`field-concern-${c.id}`}
          data-testid="field-concern"
        >
          <h4 id={`field-concern-${c.id}`}>
            Concern #{c.id} on <code>{c.target.ref}</code>
          </h4>
          <p className="posting-text">{c.text}</p>
          <Byline posting={c} />
          <Answers answers={c.answers} />
        </article>
      ))}
    </>
  );
}

function RaiseFieldConcern(props: {
  groups: { event: string; fields: Field[] }[];
  done: () => void;
}) {
  const session = useSession();
  // Only fields the accounts API can name (`<event>/<field>` of plain characters).
  const refs = props.groups.flatMap((g) =>
    g.fields.map((f) => `${g.event}/${f.path}`).filter((ref) => FIELD_REF.test(ref)),
  );
  const [ref, setRef] = useState("");
  const target = ref || refs[0] || "";
  if (!can(session, RAISE)) {
    return session.state === "signed-out" ? (
      <p className="muted">
        Auditors and reviewers can{" "}
        <Link to={`/sign-in?next=${encodeURIComponent("/telemetry")}`}>sign in</Link> to raise a
        concern about a field; the vendor answers in public.
      </p>
    ) : null;
  }
  if (!target) return null;
  return (
    <>
      <p>
        <label htmlFor="concern-field">Dictionary field</label>{" "}
        <select id="concern-field" value={target} onChange={(e) => setRef(e.currentTarget.value)}>
          {refs.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </p>
      <TextForm
        label={`Raise a concern about field ${target}`}
        button="Raise concern"
        post={(text) =>
          send("POST", "/api/v1/concerns", {
            target: { kind: "dictionary-field", ref: target },
            text,
          })
        }
        done={props.done}
      />
    </>
  );
}
