/**
 * What a monitor remembers between polls (and restarts), as one JSON document:
 *
 *   {
 *     "type": "https://crosscheck.dev/monitor/state/v1",
 *     "origin": "<log origin>",
 *     "checkpoint": "<signed note>" | null,   the newest checkpoint proved consistent
 *     "next": N,                               entries [0, N) have been read and checked
 *     "peaks": ["<base64>", …],                compact range of leaves [0, N) (popcount(N) hashes)
 *     "channels": {channel: {version, envelopeSha256, index}},   highest trusted release
 *     "heads": {channel: {version, index}},                      newest trusted head
 *     "releases": {envelopeSha256: ReleaseRecord, …},            oldest first, bounded
 *     "forgotten": F                                             releases dropped by the bound
 *   }
 *
 * Every part is bounded: at most MAX_RELEASES releases (the oldest are forgotten first) and
 * MAX_VERDICTS verdicts each, so the file stays small however long the log grows.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CrosscheckError } from "../errors/index.js";

export const MONITOR_STATE_TYPE = "https://crosscheck.dev/monitor/state/v1";
/** Releases remembered (with their verdicts) to judge the heads that name them. */
export const MAX_RELEASES = 10_000;
/** Verdicts remembered per release: one per reviewer key and verdict. */
export const MAX_VERDICTS = 64;

const Hex64 = Type.String({ pattern: "^[0-9a-f]{64}$" });
const Index = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Short = Type.String({ maxLength: 256 });

const VerdictRecord = Type.Object(
  {
    organization: Short,
    keyid: Short,
    verdict: Type.Union([Type.Literal("approve"), Type.Literal("reject")]),
    /** `artifactsKey` of the artifacts judged. */
    artifacts: Hex64,
    /** The channel and version the review names. */
    channel: Short,
    version: Short,
    index: Index,
  },
  { additionalProperties: false },
);

const ReleaseRecord = Type.Object(
  {
    /** Absent while only reviews of the release have been seen. */
    release: Type.Optional(
      Type.Object(
        {
          index: Index,
          channel: Short,
          version: Short,
          /** Signed by a key the policy trusts for the channel. */
          trusted: Type.Boolean(),
          artifacts: Hex64,
        },
        { additionalProperties: false },
      ),
    ),
    verdicts: Type.Array(VerdictRecord, { maxItems: MAX_VERDICTS }),
  },
  { additionalProperties: false },
);

export const MonitorStateSchema = Type.Object(
  {
    type: Type.Literal(MONITOR_STATE_TYPE),
    origin: Type.String({ minLength: 1, maxLength: 1024 }),
    checkpoint: Type.Union([Type.Null(), Type.String({ maxLength: 1 << 16 })]),
    next: Index,
    peaks: Type.Array(Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$" }), { maxItems: 64 }),
    channels: Type.Record(
      Short,
      Type.Object(
        { version: Short, envelopeSha256: Hex64, index: Index },
        { additionalProperties: false },
      ),
    ),
    heads: Type.Record(
      Short,
      Type.Object({ version: Short, index: Index }, { additionalProperties: false }),
    ),
    releases: Type.Record(Hex64, ReleaseRecord),
    forgotten: Index,
  },
  { additionalProperties: false },
);

export type MonitorState = Static<typeof MonitorStateSchema>;
export type ReleaseRecord = Static<typeof ReleaseRecord>;
export type VerdictRecord = Static<typeof VerdictRecord>;

export function emptyMonitorState(origin: string): MonitorState {
  return {
    type: MONITOR_STATE_TYPE,
    origin,
    checkpoint: null,
    next: 0,
    peaks: [],
    channels: {},
    heads: {},
    releases: {},
    forgotten: 0,
  };
}

/** Parses a saved state; `E_MONITOR_STATE` says what is wrong with it. */
export function parseMonitorState(text: string): MonitorState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw stateError("it is not JSON");
  }
  if (!Value.Check(MonitorStateSchema, value)) {
    const first = Value.Errors(MonitorStateSchema, value).First();
    throw stateError(`at ${first?.path || "/"}: ${first?.message ?? "unexpected shape"}`);
  }
  if (Object.keys(value.releases).length > MAX_RELEASES) {
    throw stateError(`it remembers more than ${MAX_RELEASES} releases`);
  }
  return value;
}

export function serializeMonitorState(state: MonitorState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function stateError(why: string): CrosscheckError {
  return new CrosscheckError(
    "E_MONITOR_STATE",
    `The monitor's saved state is unusable: ${why}. Restore it, or start over without it (the monitor then re-reads the log from its first entry).`,
  );
}
