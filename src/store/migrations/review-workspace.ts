import type { Migration } from "../migration.js";

/**
 * A reviewer's judgement of single findings while reviewing (issue 8's workspace): one row per
 * release, finding and reviewer, replaced as they change their mind. The judgement that counts is
 * the one signed into their verdict (the review predicate's `triage`); these rows are the draft.
 */
export const REVIEW_WORKSPACE: Migration = {
  version: 9,
  name: "review workspace",
  sqlite: `
    CREATE TABLE finding_triage (
      release_id INTEGER NOT NULL REFERENCES releases (id),
      finding TEXT NOT NULL,
      author TEXT NOT NULL,
      decision TEXT NOT NULL,
      justification TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (release_id, finding, author)
    );
  `,
  postgres: `
    CREATE TABLE finding_triage (
      release_id BIGINT NOT NULL REFERENCES releases (id),
      finding TEXT NOT NULL,
      author TEXT NOT NULL,
      decision TEXT NOT NULL,
      justification TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (release_id, finding, author)
    );
  `,
};
