/**
 * What the monitor reports. Every alert has a stable `code` (`M_…`), a severity and a sentence a
 * person can act on; alerts about one log entry name its index and, when it holds an envelope, the
 * envelope's digest.
 *
 *   critical  the log or the vendor did something that must not happen (a split view, a release
 *             published without its reviews, a release addressed to an undeclared region, …)
 *   warning   something endpoints refuse anyway but people should know about (an unknown signer,
 *             a rejected release, a region-only release, …)
 *   info      what the monitor cannot check (an entry that is only a digest, an unknown payload)
 */
export type AlertSeverity = "critical" | "warning" | "info";

export interface Alert {
  severity: AlertSeverity;
  code: string;
  message: string;
  /** The log index of the entry the alert is about. */
  index?: number;
  /** Hex SHA-256 of the envelope the alert is about. */
  envelopeSha256?: string;
}

/** Every code the monitor raises, with its severity (some codes are raised at either of two). */
export const ALERT_CODES = {
  /** The log signed two checkpoints that cannot both be true; evidence is attached. */
  M_SPLIT_VIEW: "critical",
  /** The log served a smaller tree than one it served before. */
  M_LOG_SHRANK: "critical",
  /** The served checkpoint is not signed by the policy's log key (or names another origin). */
  M_CHECKPOINT_INVALID: "critical",
  /** The log's tiles do not prove its own checkpoint: consistency could not be judged. */
  M_TILES_INVALID: "critical",
  /** The entry bundles do not hash to the tree the checkpoint commits to. */
  M_ENTRIES_MISMATCH: "critical",
  M_ENTRY_MALFORMED: "warning",
  M_ENTRY_DIGEST_ONLY: "info",
  M_UNKNOWN_PAYLOAD: "info",
  M_ENTRY_INVALID: "warning",
  M_CHANNEL_UNTRUSTED: "warning",
  M_RELEASE_UNTRUSTED_SIGNER: "warning",
  M_RELEASE_REVOKED_SIGNER: "critical",
  M_AUDIENCE_REGION: "warning",
  M_AUDIENCE_UNKNOWN_REGION: "critical",
  M_AUDIENCE_TARGETED: "critical",
  M_VERSION_ROLLBACK: "critical",
  M_VERSION_REPEATED: "warning",
  M_PREVIOUS_MISMATCH: "info",
  M_REVIEW_UNKNOWN_KEY: "warning",
  M_REVIEW_REVOKED_KEY: "critical",
  M_REVIEW_ORGANIZATION: "info",
  M_REVIEW_MISMATCH: "warning",
  M_RELEASE_REJECTED: "warning",
  M_HEAD_UNTRUSTED_SIGNER: "warning",
  M_HEAD_REVOKED_SIGNER: "critical",
  M_HEAD_UNKNOWN_RELEASE: "critical",
  M_HEAD_UNTRUSTED_RELEASE: "critical",
  M_HEAD_MISMATCH: "critical",
  M_HEAD_UNREVIEWED: "critical",
  M_HEAD_REJECTED: "critical",
  M_HEAD_ROLLBACK: "warning",
  M_REBUILD_UNTRUSTED_SIGNER: "warning",
  /** A policy rebuilder found a release's artifacts differ from what its source builds. */
  M_REBUILD_BAD: "critical",
} as const satisfies Record<string, AlertSeverity>;

export type AlertCode = keyof typeof ALERT_CODES;

export function alert(
  code: AlertCode,
  message: string,
  where: { index?: number; envelopeSha256?: string; severity?: AlertSeverity } = {},
): Alert {
  const out: Alert = { severity: where.severity ?? ALERT_CODES[code], code, message };
  if (where.index !== undefined) out.index = where.index;
  if (where.envelopeSha256 !== undefined) out.envelopeSha256 = where.envelopeSha256;
  return out;
}

/** One readable line: `CRITICAL M_SPLIT_VIEW #12 sha256:abcd…: message`. */
export function formatAlert(a: Alert): string {
  const where = [
    a.index !== undefined ? `#${a.index}` : "",
    a.envelopeSha256 ? `sha256:${a.envelopeSha256.slice(0, 12)}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  return `${a.severity.toUpperCase().padEnd(8)} ${a.code}${where ? ` ${where}` : ""}: ${a.message}`;
}
