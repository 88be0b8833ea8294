/**
 * C2SP tlog-policy (https://c2sp.org/tlog-policy): which logs sign checkpoints and which witnesses
 * must cosign them. A line-based text:
 *
 *   log <vkey> [<url>]
 *   witness <name> <vkey> [<url>]
 *   group <name> all|any|<k> <member>...      (members: witnesses or groups defined above)
 *   quorum <name>|none                         (exactly one)
 *
 * Items are separated by ASCII spaces and tabs; blank lines and `#` comment lines are ignored. The
 * only control characters allowed are tab and newline. Names are opaque, shared by witnesses and
 * groups; `none` is predefined and may not be a group member. A group refers only to names defined
 * on earlier lines (so there are no cycles), each member at most once, and 1 <= k <= n. Two keys
 * are duplicates when they wrap the same public key, whatever their names: duplicate logs and
 * duplicate witnesses are refused.
 *
 * Key types: log keys sign checkpoints as signed notes (Ed25519, 0x01); witness keys are C2SP
 * cosignature/v1 keys (0x04).
 *
 * Parsing is strict: every refusal is `E_TLOG_POLICY` with the line number.
 */
import {
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  NOTE_KEY_TYPE_ED25519,
  type ParsedVerifierKey,
  parseVerifierKey,
  toHex,
} from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";

/** Larger texts are refused unread (every input has a size bound, Decision 14). */
export const MAX_TLOG_POLICY_SIZE = 64 * 1024;
/** Limits on policy complexity; the spec asks implementations to support at least 32 of each. */
export const MAX_TLOG_POLICY_LOGS = 64;
export const MAX_TLOG_POLICY_WITNESSES = 256;
export const MAX_TLOG_POLICY_GROUPS = 256;

export interface TlogPolicyLog {
  /** The log's verifier key (Ed25519), as written. */
  key: string;
  url?: string;
}

export interface TlogPolicyWitness {
  name: string;
  /** The witness's cosignature/v1 verifier key, as written. */
  key: string;
  url?: string;
}

export interface TlogPolicyGroup {
  name: string;
  /** How many members must have witnessed, as written: `all`, `any` or a number. */
  threshold: "all" | "any" | number;
  members: string[];
}

export interface TlogPolicy {
  logs: TlogPolicyLog[];
  witnesses: TlogPolicyWitness[];
  groups: TlogPolicyGroup[];
  /** A witness or group name, or `none` (no cosignature required). */
  quorum: string;
}

const NONE = "none";
// Allowed octets: tab, newline, 0x20-0x7E, and anything above 0x7F (opaque).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function policyError(line: number, message: string): CrosscheckError {
  return new CrosscheckError("E_TLOG_POLICY", `Log policy line ${line}: ${message}`);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** Parses tlog-policy text strictly; throws `E_TLOG_POLICY` naming the offending line. */
export function parseTlogPolicy(text: string): TlogPolicy {
  if (typeof text !== "string") {
    throw new CrosscheckError("E_TLOG_POLICY", "The log policy must be text.");
  }
  if (text.length > MAX_TLOG_POLICY_SIZE) {
    throw new CrosscheckError(
      "E_TLOG_POLICY",
      `The log policy is larger than ${MAX_TLOG_POLICY_SIZE} characters.`,
    );
  }
  const policy: TlogPolicy = { logs: [], witnesses: [], groups: [], quorum: "" };
  // Every witness and group name defined so far (they share one namespace).
  const names = new Map<string, "witness" | "group">();
  const logKeys = new Map<string, number>();
  const witnessKeys = new Map<string, number>();
  let quorumLine = 0;

  // A final line without its newline is accepted: the text usually sits inside a JSON string.
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, index) => {
    const number = index + 1;
    if (FORBIDDEN.test(raw)) {
      throw policyError(number, "contains a control character (only tab and newline are allowed).");
    }
    const items = raw.split(/[ \t]+/).filter((item) => item !== "");
    const keyword = items[0];
    if (keyword === undefined || keyword.startsWith("#")) return;
    switch (keyword) {
      case "log": {
        if (items.length < 2 || items.length > 3) {
          throw policyError(number, "expected `log <vkey> [<url>]`.");
        }
        if (policy.logs.length >= MAX_TLOG_POLICY_LOGS) {
          throw policyError(number, `more than ${MAX_TLOG_POLICY_LOGS} logs.`);
        }
        const key = items[1] as string;
        const parsed = verifierKey(number, key, NOTE_KEY_TYPE_ED25519, "log");
        const id = toHex(parsed.publicKey);
        const earlier = logKeys.get(id);
        if (earlier !== undefined) {
          throw policyError(number, `duplicates the log on line ${earlier} (same public key).`);
        }
        logKeys.set(id, number);
        policy.logs.push(withUrl({ key }, items[2]));
        return;
      }
      case "witness": {
        if (items.length < 3 || items.length > 4) {
          throw policyError(number, "expected `witness <name> <vkey> [<url>]`.");
        }
        if (policy.witnesses.length >= MAX_TLOG_POLICY_WITNESSES) {
          throw policyError(number, `more than ${MAX_TLOG_POLICY_WITNESSES} witnesses.`);
        }
        const name = items[1] as string;
        const key = items[2] as string;
        defineName(number, name, "witness", names);
        const parsed = verifierKey(number, key, NOTE_KEY_TYPE_COSIGNATURE_V1, "witness");
        const id = toHex(parsed.publicKey);
        const earlier = witnessKeys.get(id);
        if (earlier !== undefined) {
          throw policyError(number, `duplicates the witness on line ${earlier} (same public key).`);
        }
        witnessKeys.set(id, number);
        policy.witnesses.push(withUrl({ name, key }, items[3]));
        return;
      }
      case "group": {
        if (items.length < 4) {
          throw policyError(number, "expected `group <name> all|any|<k> <member>...`.");
        }
        if (policy.groups.length >= MAX_TLOG_POLICY_GROUPS) {
          throw policyError(number, `more than ${MAX_TLOG_POLICY_GROUPS} groups.`);
        }
        const name = items[1] as string;
        const members = items.slice(3);
        const seen = new Set<string>();
        for (const member of members) {
          if (member === NONE) throw policyError(number, "`none` cannot be a group member.");
          if (!names.has(member)) {
            throw policyError(
              number,
              `member ${quote(member)} is not a witness or group defined on an earlier line.`,
            );
          }
          if (seen.has(member)) {
            throw policyError(number, `member ${quote(member)} is listed twice.`);
          }
          seen.add(member);
        }
        const threshold = groupThreshold(number, items[2] as string, members.length);
        defineName(number, name, "group", names);
        policy.groups.push({ name, threshold, members });
        return;
      }
      case "quorum": {
        if (items.length !== 2) throw policyError(number, "expected `quorum <name>|none`.");
        if (quorumLine !== 0) {
          throw policyError(number, `a second quorum line (the first is line ${quorumLine}).`);
        }
        const name = items[1] as string;
        if (name !== NONE && !names.has(name)) {
          throw policyError(
            number,
            `the quorum ${quote(name)} is not a witness or group defined on an earlier line.`,
          );
        }
        quorumLine = number;
        policy.quorum = name;
        return;
      }
      default:
        throw policyError(
          number,
          `unknown keyword ${quote(keyword)} (expected log, witness, group or quorum).`,
        );
    }
  });
  if (quorumLine === 0) {
    throw new CrosscheckError(
      "E_TLOG_POLICY",
      "The log policy has no quorum line (write `quorum <name>`, or `quorum none`).",
    );
  }
  return policy;
}

function withUrl<T extends object>(entry: T, url: string | undefined): T & { url?: string } {
  return url === undefined ? entry : { ...entry, url };
}

function defineName(
  line: number,
  name: string,
  kind: "witness" | "group",
  names: Map<string, "witness" | "group">,
): void {
  if (name === NONE) throw policyError(line, "`none` is predefined and cannot be redefined.");
  if (name.startsWith("#")) throw policyError(line, `the ${kind} name may not start with "#".`);
  const existing = names.get(name);
  if (existing) throw policyError(line, `the name ${quote(name)} is already a ${existing}.`);
  names.set(name, kind);
}

function verifierKey(
  line: number,
  key: string,
  keyType: number,
  role: "log" | "witness",
): ParsedVerifierKey {
  let parsed: ParsedVerifierKey;
  try {
    parsed = parseVerifierKey(key);
  } catch (err) {
    throw policyError(line, `the ${role} key is invalid: ${(err as Error).message}`);
  }
  if (parsed.keyType !== keyType) {
    const expected =
      role === "log" ? "an Ed25519 (0x01) note key" : "a cosignature/v1 (0x04) witness key";
    throw policyError(line, `the ${role} key ${quote(parsed.name)} must be ${expected}.`);
  }
  return parsed;
}

function groupThreshold(line: number, text: string, members: number): "all" | "any" | number {
  if (text === "all" || text === "any") return text;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) {
    throw policyError(line, `the group threshold ${quote(text)} is not all, any or a number ≥ 1.`);
  }
  const k = Number(text);
  if (k > members) {
    throw policyError(line, `the group threshold ${k} exceeds its ${members} member(s).`);
  }
  return k;
}

/** The numeric threshold of a group: `any` is 1, `all` is every member. */
export function groupMinimum(group: TlogPolicyGroup): number {
  if (group.threshold === "any") return 1;
  if (group.threshold === "all") return group.members.length;
  return group.threshold;
}

/** Formats a policy as tlog-policy text: logs, witnesses, groups, then the quorum line. */
export function formatTlogPolicy(policy: TlogPolicy): string {
  const lines: string[] = [];
  for (const log of policy.logs) lines.push(join("log", log.key, log.url));
  for (const w of policy.witnesses) lines.push(join("witness", w.name, w.key, w.url));
  for (const g of policy.groups) {
    lines.push(join("group", g.name, String(g.threshold), ...g.members));
  }
  lines.push(join("quorum", policy.quorum));
  return `${lines.join("\n")}\n`;
}

function join(...items: (string | undefined)[]): string {
  return items.filter((item) => item !== undefined).join(" ");
}

/**
 * Whether witnesses named in `cosignedBy` (valid cosignatures already checked) satisfy the
 * quorum. Groups nest; each group is evaluated once per call, so shared sub-groups cost nothing.
 */
export function quorumSatisfied(policy: TlogPolicy, cosignedBy: ReadonlySet<string>): boolean {
  if (policy.quorum === NONE) return true;
  const witnesses = new Set(policy.witnesses.map((w) => w.name));
  const groups = new Map(policy.groups.map((g) => [g.name, g]));
  const memo = new Map<string, boolean>();
  const witnessed = (name: string): boolean => {
    if (witnesses.has(name)) return cosignedBy.has(name);
    const known = memo.get(name);
    if (known !== undefined) return known;
    const group = groups.get(name);
    let result = false;
    if (group) {
      // Members are defined before their group, so this recursion always ends.
      const need = groupMinimum(group);
      let have = 0;
      for (const member of group.members) {
        if (witnessed(member)) have++;
        if (have >= need) break;
      }
      result = have >= need;
    }
    memo.set(name, result);
    return result;
  };
  return witnessed(policy.quorum);
}
