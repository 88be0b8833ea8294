/**
 * Our predicate types by URI. Each schema is a JSON Schema document: `JSON.stringify(schema)`.
 */
import type { TSchema } from "@sinclair/typebox";
import { HEAD_PREDICATE_TYPE, HeadPredicateSchema } from "./head.js";
import { REBUILD_PREDICATE_TYPE, RebuildPredicateSchema } from "./rebuild.js";
import { RELEASE_PREDICATE_TYPE, ReleasePredicateSchema } from "./release.js";
import { REVIEW_PREDICATE_TYPE, ReviewPredicateSchema } from "./review.js";

export const schemas: Readonly<Record<string, TSchema>> = Object.freeze({
  [RELEASE_PREDICATE_TYPE]: ReleasePredicateSchema,
  [REVIEW_PREDICATE_TYPE]: ReviewPredicateSchema,
  [HEAD_PREDICATE_TYPE]: HeadPredicateSchema,
  [REBUILD_PREDICATE_TYPE]: RebuildPredicateSchema,
});
