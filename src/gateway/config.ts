/**
 * The gateway's configuration: regions and their vendor endpoints (deny by default), tenants
 * (each in one region, with its own redaction policy) and limits. One JSON file, checked at
 * start-up with TypeBox so a mistake names the field instead of surfacing mid-stream.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CrosscheckError } from "../errors/index.js";
import { ENTITIES, type Entity } from "./pii/entities.js";

/** What may happen to a piece of personal data, a field, or a record. */
export const ACTIONS = ["allow", "mask", "pseudonymise", "drop", "block"] as const;
export type Action = (typeof ACTIONS)[number];
export const SAMPLE_KINDS = [
  "executable",
  "document",
  "image",
  "archive-of-documents",
  "archive",
  "text",
  "unknown",
] as const;

const ActionSchema = Type.Union(ACTIONS.map((a) => Type.Literal(a)));
const EntityActions = Type.Partial(
  Type.Object(Object.fromEntries(ENTITIES.map((e) => [e, ActionSchema]))),
);

const PolicySchema = Type.Object(
  {
    /** Records with fields the dictionary does not declare: block them (default) or drop the fields. */
    undeclared: Type.Optional(Type.Union([Type.Literal("block"), Type.Literal("drop")])),
    /** Per entity, wherever it is found. */
    entities: Type.Optional(EntityActions),
    /** Per field (`event/path`, e.g. `process_start/command_line`): per entity, or for the whole field. */
    fields: Type.Optional(
      Type.Record(Type.String({ maxLength: 512 }), Type.Union([ActionSchema, EntityActions])),
    ),
    /** Per detected sample kind: forward or quarantine. */
    samples: Type.Optional(
      Type.Partial(
        Type.Object(
          Object.fromEntries(
            SAMPLE_KINDS.map((k) => [
              k,
              Type.Union([Type.Literal("forward"), Type.Literal("quarantine")]),
            ]),
          ),
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

const ConfigSchema = Type.Object(
  {
    /** Names this gateway in audit entries. */
    name: Type.String({ minLength: 1, maxLength: 128 }),
    regions: Type.Array(
      Type.Object(
        {
          region: Type.String({ pattern: "^[a-z][a-z0-9-]{0,31}$" }),
          endpoints: Type.Array(
            Type.Object(
              {
                url: Type.String({ maxLength: 2048 }),
                allowedAddresses: Type.Optional(Type.Array(Type.String({ maxLength: 64 }))),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    tenants: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: "^[a-z0-9][a-z0-9._-]{0,63}$" }),
          region: Type.String(),
          /** Policy of this tenant, merged over `defaults`. */
          policy: Type.Optional(PolicySchema),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    defaults: Type.Optional(PolicySchema),
    limits: Type.Optional(
      Type.Object(
        {
          maxBatchBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          maxRecordsPerBatch: Type.Optional(Type.Integer({ minimum: 1 })),
          maxSampleBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxPendingBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxPendingBatches: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type GatewayConfigDocument = Static<typeof ConfigSchema>;
export type PolicyDocument = Static<typeof PolicySchema>;
export type SampleAction = "forward" | "quarantine";

export interface GatewayLimits {
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
  maxSampleBytes: number;
  maxPendingBytes: number;
  maxPendingBatches: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxBatchBytes: 16 * 1024 * 1024,
  maxRecordsPerBatch: 50_000,
  maxSampleBytes: 64 * 1024 * 1024,
  maxPendingBytes: 1024 * 1024 * 1024,
  maxPendingBatches: 100_000,
};

/**
 * The built-in policy a tenant starts from: identifiers of people are pseudonymised (stable per
 * tenant, so a security team can still correlate), contact and financial data masked, secrets
 * block the record (a credential must never leave), and unknown sample kinds wait for a reviewer.
 */
export const BASELINE_POLICY: Required<Pick<PolicyDocument, "undeclared">> & {
  entities: Record<Entity, Action>;
} = {
  undeclared: "block",
  entities: {
    EMAIL: "mask",
    PHONE: "mask",
    IPV4: "pseudonymise",
    IPV6: "pseudonymise",
    MAC: "pseudonymise",
    CREDIT_CARD: "mask",
    IBAN: "mask",
    US_SSN: "mask",
    NATIONAL_ID: "mask",
    PATH_USER: "pseudonymise",
    HOSTNAME: "pseudonymise",
    DOMAIN_ACCOUNT: "pseudonymise",
    SECRET: "block",
    PERSON: "mask",
  },
};

export interface TenantConfig {
  name: string;
  region: string;
  policy: PolicyDocument;
}

export interface GatewayConfig {
  name: string;
  regions: GatewayConfigDocument["regions"];
  tenants: Map<string, TenantConfig>;
  limits: GatewayLimits;
}

/** Checks and normalises a configuration document (already parsed from JSON). */
export function parseGatewayConfig(document: unknown): GatewayConfig {
  if (!Value.Check(ConfigSchema, document)) {
    const first = [...Value.Errors(ConfigSchema, document)][0];
    throw new CrosscheckError(
      "E_GATEWAY_CONFIG",
      `The gateway configuration is invalid at ${first?.path || "/"}: ${first?.message ?? "unexpected shape"}.`,
    );
  }
  const regions = new Set(document.regions.map((r) => r.region));
  if (regions.size !== document.regions.length) {
    throw new CrosscheckError(
      "E_GATEWAY_CONFIG",
      "A region is listed twice in the gateway configuration.",
    );
  }
  const tenants = new Map<string, TenantConfig>();
  for (const tenant of document.tenants) {
    if (!regions.has(tenant.region)) {
      throw new CrosscheckError(
        "E_GATEWAY_CONFIG",
        `Tenant ${tenant.name} is in region ${tenant.region}, which the configuration does not list.`,
      );
    }
    if (tenants.has(tenant.name)) {
      throw new CrosscheckError("E_GATEWAY_CONFIG", `Tenant ${tenant.name} is listed twice.`);
    }
    tenants.set(tenant.name, {
      name: tenant.name,
      region: tenant.region,
      policy: mergePolicies(document.defaults ?? {}, tenant.policy ?? {}),
    });
  }
  return {
    name: document.name,
    regions: document.regions,
    tenants,
    limits: { ...DEFAULT_LIMITS, ...document.limits },
  };
}

function mergePolicies(base: PolicyDocument, over: PolicyDocument): PolicyDocument {
  return {
    undeclared: over.undeclared ?? base.undeclared,
    entities: { ...base.entities, ...over.entities },
    fields: { ...base.fields, ...over.fields },
    samples: { ...base.samples, ...over.samples },
  };
}
