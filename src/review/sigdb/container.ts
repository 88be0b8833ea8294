/**
 * ClamAV database containers, read as libclamav reads them (cvd.c), in our own code:
 *
 *   512-byte header  `ClamAV-VDB:<build time>:<version>:<signatures>:<functionality level>:
 *                     <MD5>:<digital signature>:<builder>:<build time in seconds>`, space-padded
 *   body             a tar, gzip-compressed (CVD, CUD; a CLD may also hold a plain tar, which
 *                     then starts with its `COPYING` member)
 *
 * - CVD: the MD5 of the body must equal the header's, and the header's signature must verify
 *   over that MD5 with the CVD key (`sigtool --info` prints "Verification OK.").
 * - CLD (a CVD updated locally by cdiffs): the header is informational; its `.info` file's DSIG
 *   vouches for the content.
 * - CUD (`sigtool --build --unsigned`): nothing is signed; the header says so with `X`.
 *
 * Tar members are regular files with plain names only. ClamAV refuses a `/` in a member name;
 * we refuse any name that is empty, absolute, has a separator or `..` (Decision 21: a member
 * never escapes the folder it would be unpacked to), and any member that is not a regular file.
 */
import { createHash } from "node:crypto";
import { CrosscheckError } from "../../errors/index.js";
import { type ClamavKeys, verifyMd5Signature } from "./dsig.js";
import { formatError, gunzipBounded, limitError, type SigdbLimits } from "./limits.js";

export type ContainerKind = "cvd" | "cld" | "cud";

export interface ContainerHeader {
  /** The build time as written (`22 Jun 2021 14-58 -0400`). */
  buildTime: string;
  version: number;
  signatures: number;
  functionalityLevel: number;
  md5: string;
  digitalSignature: string;
  builder: string;
  /** Build time in seconds since the epoch; 0 when the header predates the field. */
  buildSeconds: number;
  /** The header line, trimmed. */
  raw: string;
}

export interface ContainerVerification {
  /** The body's MD5 equals the header's. */
  md5: "match" | "mismatch";
  /** The header signature: valid, invalid, or absent (CUD's `X`; CLD's header is not signed). */
  signature: "valid" | "invalid" | "absent" | "not-checked";
  /** Which key verified it. */
  key?: string;
  /** The MD5 of the body as computed. */
  computedMd5: string;
}

export interface ContainerMember {
  name: string;
  bytes: Buffer;
}

export interface Container {
  kind: ContainerKind;
  header: ContainerHeader;
  verification: ContainerVerification;
  compressed: boolean;
  members: ContainerMember[];
}

const HEADER = 512;

export function isContainer(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 11 && Buffer.from(bytes.subarray(0, 11)).toString("latin1") === "ClamAV-VDB:"
  );
}

/** Parses a container header (`cl_cvdparse`). */
export function parseHeader(bytes: Uint8Array, what: string): ContainerHeader {
  let text = Buffer.from(bytes.subarray(0, HEADER)).toString("latin1");
  const nl = text.search(/[\r\n]/);
  if (nl >= 0) text = text.slice(0, nl);
  text = text.replace(/[ \0]+$/, "");
  if (!text.startsWith("ClamAV-VDB:")) {
    throw formatError(
      `${what} is not a ClamAV database container: it does not start with "ClamAV-VDB:".`,
    );
  }
  const f = text.split(":");
  if (f.length < 8) {
    throw formatError(
      `The header of ${what} has ${f.length} fields; a ClamAV header has at least 8 (ClamAV-VDB:time:version:signatures:level:MD5:signature:builder).`,
    );
  }
  const int = (s: string | undefined, field: string): number => {
    if (s === undefined || !/^\d+$/.test(s)) {
      throw formatError(
        `The ${field} in the header of ${what} is not a number: ${JSON.stringify(s)}.`,
      );
    }
    return Number(s);
  };
  return {
    buildTime: f[1] as string,
    version: int(f[2], "version"),
    signatures: int(f[3], "signature count"),
    functionalityLevel: int(f[4], "functionality level"),
    md5: f[5] as string,
    digitalSignature: f[6] as string,
    builder: f[7] as string,
    buildSeconds: f[8] !== undefined && /^\d+$/.test(f[8]) ? Number(f[8]) : 0,
    raw: text,
  };
}

export function containerKindOf(name: string): ContainerKind {
  const lower = name.toLowerCase();
  if (lower.endsWith(".cld")) return "cld";
  if (lower.endsWith(".cud")) return "cud";
  return "cvd";
}

/** Reads, verifies and unpacks a container. `name` decides CVD/CLD/CUD, as ClamAV's does. */
export function readContainer(
  name: string,
  bytes: Buffer,
  limits: SigdbLimits,
  keys: ClamavKeys,
): Container {
  if (bytes.length < HEADER) {
    throw formatError(`${name} is shorter than the 512-byte header of a ClamAV container.`);
  }
  const kind = containerKindOf(name);
  const header = parseHeader(bytes, name);
  const body = bytes.subarray(HEADER);
  const computedMd5 = createHash("md5").update(body).digest("hex");
  const verification: ContainerVerification = {
    md5: computedMd5 === header.md5.toLowerCase() ? "match" : "mismatch",
    signature: "not-checked",
    computedMd5,
  };
  if (kind === "cvd") {
    if (header.digitalSignature === "X" || header.digitalSignature === "") {
      verification.signature = "absent";
    } else {
      const ok =
        verification.md5 === "match" &&
        verifyMd5Signature(header.md5, header.digitalSignature, keys.cvd);
      verification.signature = ok ? "valid" : "invalid";
      if (ok) verification.key = keys.cvd.name;
    }
  } else if (kind === "cud" || header.digitalSignature === "X") {
    verification.signature = "absent";
  }
  // cli_tgzload: a body starting with the COPYING member is a plain tar.
  const compressed = !(body.length >= 7 && body.subarray(0, 7).toString("latin1") === "COPYING");
  const tar = compressed ? gunzipBounded(name, body, limits) : body;
  return { kind, header, verification, compressed, members: readTar(name, tar, limits) };
}

/** A member name that stays inside the folder it is unpacked to. */
export function checkMemberName(container: string, raw: string): string {
  if (
    raw === "" ||
    raw === "." ||
    raw === ".." ||
    raw.includes("/") ||
    raw.includes("\\") ||
    raw.includes("\0") ||
    /^[A-Za-z]:/.test(raw)
  ) {
    throw new CrosscheckError(
      "E_SIGDB_PATH",
      `${container} holds a member named ${JSON.stringify(raw.slice(0, 200))}, which is not a plain file name (it could be unpacked outside its folder): the database is refused.`,
    );
  }
  return raw;
}

function octal(bytes: Buffer, at: number, length: number): number | undefined {
  const text = bytes
    .toString("latin1", at, at + length)
    .replace(/\0.*$/s, "")
    .trim();
  if (text === "") return 0;
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

function checksumOk(bytes: Buffer, at: number): boolean {
  const stored = octal(bytes, at + 148, 8);
  if (stored === undefined) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bytes[at + i] as number);
  return sum === stored;
}

/** Regular members of a tar, in order. */
export function readTar(container: string, bytes: Buffer, limits: SigdbLimits): ContainerMember[] {
  const members: ContainerMember[] = [];
  const seen = new Set<string>();
  let total = 0;
  let at = 0;
  while (at + 512 <= bytes.length) {
    if (bytes[at] === 0) break; // end of archive, as cli_untgz
    if (!checksumOk(bytes, at)) {
      throw formatError(`The tar header at byte ${at} of ${container} is corrupt.`);
    }
    const nul = bytes.indexOf(0, at);
    const name = bytes.toString("latin1", at, nul < 0 || nul > at + 100 ? at + 100 : nul);
    checkMemberName(container, name);
    const type = String.fromCharCode(bytes[at + 156] as number);
    if (type !== "0" && type !== "\0") {
      throw formatError(
        `${container} holds ${JSON.stringify(name)} of tar type ${JSON.stringify(type)}; a ClamAV container holds regular files only (no folders, links or extended headers).`,
      );
    }
    const size = octal(bytes, at + 124, 12);
    if (size === undefined)
      throw formatError(`The tar member ${name} of ${container} has a bad size.`);
    if (size > limits.maxMemberBytes) {
      throw limitError(
        `The member ${name} of ${container} is larger than ${limits.maxMemberBytes} bytes.`,
      );
    }
    const start = at + 512;
    if (start + size > bytes.length) {
      throw formatError(`The tar member ${name} of ${container} is truncated.`);
    }
    if (members.length >= limits.maxMembers) {
      throw limitError(`${container} has more than ${limits.maxMembers} members.`);
    }
    total += size;
    if (total > limits.maxTotalBytes) {
      throw limitError(`${container} unpacks to more than ${limits.maxTotalBytes} bytes.`);
    }
    if (seen.has(name)) {
      throw formatError(`${container} holds ${name} twice; which one ClamAV loads is not defined.`);
    }
    seen.add(name);
    members.push({ name, bytes: bytes.subarray(start, start + size) });
    at = start + Math.ceil(size / 512) * 512;
  }
  return members;
}
