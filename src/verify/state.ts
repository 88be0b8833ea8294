/**
 * What an endpoint remembers between updates, so that nothing it has seen can be taken back:
 * the newest checkpoint (consistency, split views), the newest witness time (freshness never goes
 * back), and per channel the installed version and the newest head it accepted (rollback, replay).
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CrosscheckError } from "../errors/index.js";

const ChannelState = Type.Object(
  {
    version: Type.String({ maxLength: 128 }),
    releaseSha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    headIssued: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const EndpointStateSchema = Type.Object(
  {
    checkpoint: Type.Optional(Type.String({ maxLength: 1 << 20 })),
    /** POSIX seconds of the newest witness time that vouched for a checkpoint we accepted. */
    witnessTime: Type.Optional(Type.Integer({ minimum: 0 })),
    channels: Type.Record(Type.String({ maxLength: 32 }), ChannelState),
  },
  { additionalProperties: false },
);

export type EndpointState = Static<typeof EndpointStateSchema>;

export const EMPTY_STATE: EndpointState = { channels: {} };

export function parseEndpointState(text: string): EndpointState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CrosscheckError(
      "E_STATE_MALFORMED",
      "The endpoint's saved state is not valid JSON; restore it from a backup.",
    );
  }
  if (!Value.Check(EndpointStateSchema, value)) {
    const first = Value.Errors(EndpointStateSchema, value).First();
    throw new CrosscheckError(
      "E_STATE_MALFORMED",
      `The endpoint's saved state is malformed at ${first?.path || "/"}: ${first?.message ?? "unexpected shape"}.`,
    );
  }
  return value;
}
