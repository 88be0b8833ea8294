/**
 * A tenant's policy, resolved for lookups on the hot path: what to do with a whole field, with an
 * entity found in a field, and with a sample of a detected kind. The most specific rule wins:
 * field + entity, then field, then entity, then the built-in baseline.
 */
import {
  type Action,
  BASELINE_POLICY,
  type PolicyDocument,
  type SAMPLE_KINDS,
  type SampleAction,
} from "./config.js";
import type { Entity } from "./pii/entities.js";

type SampleKind = (typeof SAMPLE_KINDS)[number];

/** Documents, images, archives of documents and text wait for a reviewer unless policy says otherwise. */
const SAMPLE_BASELINE: Record<SampleKind, SampleAction> = {
  executable: "forward",
  document: "quarantine",
  image: "quarantine",
  "archive-of-documents": "quarantine",
  archive: "quarantine",
  text: "quarantine",
  unknown: "quarantine",
};

export class TenantPolicy {
  readonly undeclared: "block" | "drop";
  private readonly entities: Record<string, Action | undefined>;
  private readonly fields: Record<string, Action | Partial<Record<Entity, Action>> | undefined>;
  private readonly samples: Partial<Record<string, SampleAction>>;

  constructor(document: PolicyDocument) {
    this.undeclared = document.undeclared ?? BASELINE_POLICY.undeclared;
    this.entities = { ...BASELINE_POLICY.entities, ...document.entities };
    this.fields = { ...document.fields };
    this.samples = { ...document.samples };
  }

  /** The action for the whole field `event/path`, when the policy names one. */
  fieldAction(fieldId: string): Action | undefined {
    const rule = this.fields[fieldId];
    return typeof rule === "string" ? rule : undefined;
  }

  entityAction(fieldId: string, entity: Entity): Action {
    const rule = this.fields[fieldId];
    if (rule !== undefined && typeof rule !== "string") {
      const action = rule[entity];
      if (action) return action;
    }
    return this.entities[entity] ?? "block";
  }

  sampleAction(kind: string): SampleAction {
    return this.samples[kind] ?? SAMPLE_BASELINE[kind as SampleKind] ?? "quarantine";
  }
}
