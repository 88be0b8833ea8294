/**
 * The kinds of personal data the gateway finds. Shared by the scanner (`pii/`), the data
 * dictionary (which says what to look for in each field) and the per-tenant policy (what to do
 * with each kind).
 */
export const ENTITIES = [
  "EMAIL",
  "PHONE",
  "IPV4",
  "IPV6",
  "MAC",
  "CREDIT_CARD",
  "IBAN",
  "US_SSN",
  "NATIONAL_ID",
  "PATH_USER",
  "HOSTNAME",
  "DOMAIN_ACCOUNT",
  "SECRET",
  "PERSON",
] as const;

export type Entity = (typeof ENTITIES)[number];

const KNOWN: ReadonlySet<string> = new Set(ENTITIES);

export function isEntity(name: string): name is Entity {
  return KNOWN.has(name);
}

/** Encodings the scanner looks through, outermost first in a finding's `encoding` list. */
export const ENCODINGS = ["base64", "hex", "url", "json", "gzip"] as const;
export type Encoding = (typeof ENCODINGS)[number];
