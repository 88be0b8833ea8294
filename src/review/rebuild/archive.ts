/**
 * Lists the members of an archive with their metadata, to say which members of a released and a
 * rebuilt archive differ and how: tar (ustar, GNU long names, pax headers), gzip (its header
 * fields too: a gzip mtime is a classic irreproducibility), tar inside gzip (.tgz, npm tarballs),
 * and zip (jar, apk, whl…: method, CRC, DOS time, attributes, extra fields). Recognised by magic
 * number, never by name. Bounded: members, total unpacked bytes and gzip output have limits, and
 * a malformed archive is reported as unreadable rather than half-listed.
 */
import { createHash } from "node:crypto";
import { gunzipSync, inflateRawSync } from "node:zlib";

export interface ArchiveMember {
  path: string;
  /** file, directory, symlink, hardlink, other. */
  type: string;
  size: number;
  /** SHA-256 of a regular file's bytes; null for anything else. */
  sha256: string | null;
  /** The member's metadata as the format records it (mode, owner, time…). */
  meta: Record<string, string | number>;
  /** The bytes of a regular file (for nested archives and text diffs). */
  data?: Buffer;
}

export interface ArchiveListing {
  format: "tar" | "tar+gzip" | "gzip" | "zip";
  /** Fields of the wrapper itself (the gzip header), compared like a member's metadata. */
  container: Record<string, string | number>;
  members: ArchiveMember[];
}

export interface ArchiveLimits {
  maxMembers: number;
  /** Bytes unpacked in total (gzip output, zip members). */
  maxUnpacked: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMembers: 200_000,
  maxUnpacked: 1 << 30,
};

export class ArchiveUnreadable extends Error {}

/** The archive's listing, or undefined when the bytes are no archive this module reads. */
export function listArchive(
  bytes: Buffer,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): ArchiveListing | undefined {
  if (bytes.length >= 18 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const header = gzipHeader(bytes);
    let inner: Buffer;
    try {
      inner = gunzipSync(bytes, { maxOutputLength: limits.maxUnpacked });
    } catch (err) {
      throw new ArchiveUnreadable(`the gzip stream cannot be unpacked: ${(err as Error).message}`);
    }
    if (isTar(inner))
      return { format: "tar+gzip", container: header, members: readTar(inner, limits) };
    const name = typeof header.name === "string" && header.name !== "" ? header.name : "(content)";
    return {
      format: "gzip",
      container: header,
      members: [fileMember(name, inner, {})],
    };
  }
  if (isTar(bytes)) return { format: "tar", container: {}, members: readTar(bytes, limits) };
  if (bytes.length >= 22 && bytes.readUInt32LE(0) === 0x04034b50) {
    return { format: "zip", container: {}, members: readZip(bytes, limits) };
  }
  return undefined;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function fileMember(path: string, data: Buffer, meta: ArchiveMember["meta"]): ArchiveMember {
  return { path, type: "file", size: data.length, sha256: sha256(data), meta, data };
}

// gzip (RFC 1952)

const GZIP_OS: Record<number, string> = {
  0: "FAT",
  3: "Unix",
  7: "Macintosh",
  11: "NTFS",
  255: "unknown",
};

function gzipHeader(bytes: Buffer): Record<string, string | number> {
  const flags = bytes[3] as number;
  const header: Record<string, string | number> = {
    "gzip mtime": isoTime(bytes.readUInt32LE(4)),
    "gzip extra flags": bytes[8] as number,
    "gzip os": GZIP_OS[bytes[9] as number] ?? (bytes[9] as number),
  };
  let at = 10;
  if (flags & 4) at += 2 + bytes.readUInt16LE(at); // FEXTRA
  if (flags & 8) {
    const end = bytes.indexOf(0, at);
    if (end > at) header.name = bytes.subarray(at, end).toString("latin1");
  }
  return header;
}

// tar (POSIX ustar, GNU and pax extensions)

function isTar(bytes: Buffer): boolean {
  if (bytes.length < 512) return false;
  const magic = bytes.subarray(257, 262).toString("latin1");
  return (magic === "ustar" || magic.startsWith("ustar")) && tarChecksumOk(bytes, 0);
}

function tarChecksumOk(bytes: Buffer, at: number): boolean {
  const stored = parseOctal(bytes, at + 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bytes[at + i] as number);
  return stored === sum;
}

function parseOctal(bytes: Buffer, at: number, length: number): number | undefined {
  const first = bytes[at] as number;
  if (first & 0x80) {
    // GNU base-256 for large numbers.
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + (bytes[at + i] as number);
    return value;
  }
  const text = bytes
    .subarray(at, at + length)
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .trim();
  if (text === "") return 0;
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

function cString(bytes: Buffer, at: number, length: number): string {
  const slice = bytes.subarray(at, at + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end < 0 ? length : end).toString("utf8");
}

const TAR_TYPES: Record<string, string> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "character device",
  "4": "block device",
  "5": "directory",
  "6": "fifo",
};

function readTar(bytes: Buffer, limits: ArchiveLimits): ArchiveMember[] {
  const members: ArchiveMember[] = [];
  let at = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (at + 512 <= bytes.length) {
    const header = at;
    if (bytes.subarray(header, header + 512).every((b) => b === 0)) break;
    if (!tarChecksumOk(bytes, header)) {
      throw new ArchiveUnreadable(`tar header checksum wrong at byte ${header}`);
    }
    const size = parseOctal(bytes, header + 124, 12);
    if (size === undefined)
      throw new ArchiveUnreadable(`tar header size unreadable at byte ${header}`);
    const typeflag = String.fromCharCode(bytes[header + 156] as number);
    const start = header + 512;
    const end = start + size;
    if (end > bytes.length) throw new ArchiveUnreadable("the tar archive is truncated");
    const data = bytes.subarray(start, end);
    at = start + Math.ceil(size / 512) * 512;
    if (typeflag === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (typeflag === "K") {
      longLink = cString(data, 0, data.length);
      continue;
    }
    if (typeflag === "x") {
      pax = { ...pax, ...paxRecords(data) };
      continue;
    }
    if (typeflag === "g") continue; // global pax header: applies to all, compared via members
    const prefix = cString(bytes, header + 345, 155);
    const name = cString(bytes, header, 100);
    const path = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const type = TAR_TYPES[typeflag] ?? `type ${JSON.stringify(typeflag)}`;
    const meta: ArchiveMember["meta"] = {
      mode: `0${((parseOctal(bytes, header + 100, 8) ?? 0) & 0o7777).toString(8).padStart(3, "0")}`,
      uid: Number(pax.uid ?? parseOctal(bytes, header + 108, 8) ?? 0),
      gid: Number(pax.gid ?? parseOctal(bytes, header + 116, 8) ?? 0),
      uname: pax.uname ?? cString(bytes, header + 265, 32),
      gname: pax.gname ?? cString(bytes, header + 297, 32),
      mtime: pax.mtime ?? isoTime(parseOctal(bytes, header + 136, 12) ?? 0),
    };
    const link = pax.linkpath ?? longLink ?? cString(bytes, header + 157, 100);
    if (link) meta.link = link;
    for (const [k, v] of Object.entries(pax)) {
      if (!["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"].includes(k)) {
        meta[`pax ${k}`] = v;
      }
    }
    const member: ArchiveMember =
      type === "file"
        ? fileMember(path, Buffer.from(data), meta)
        : { path, type, size, sha256: null, meta };
    members.push(member);
    if (members.length > limits.maxMembers) {
      throw new ArchiveUnreadable(`more than ${limits.maxMembers} members`);
    }
    longName = undefined;
    longLink = undefined;
    pax = {};
  }
  return members;
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString("latin1"));
    if (!Number.isSafeInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

function isoTime(seconds: number | string): string {
  const value = Number(seconds);
  return Number.isFinite(value)
    ? `${new Date(Math.floor(value) * 1000).toISOString().replace(".000Z", "Z")} (${value})`
    : String(seconds);
}

// zip (PKWARE APPNOTE: stored and deflated members; no zip64, no encryption)

function readZip(bytes: Buffer, limits: ArchiveLimits): ArchiveMember[] {
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveUnreadable("the zip archive has no end of central directory");
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  if (count > limits.maxMembers)
    throw new ArchiveUnreadable(`more than ${limits.maxMembers} members`);
  const members: ArchiveMember[] = [];
  let unpacked = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) {
      throw new ArchiveUnreadable(`the zip central directory is corrupt at byte ${at}`);
    }
    const madeBy = bytes.readUInt16LE(at + 4);
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const time = bytes.readUInt16LE(at + 12);
    const date = bytes.readUInt16LE(at + 14);
    const crc = bytes.readUInt32LE(at + 16);
    const packed = bytes.readUInt32LE(at + 20);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const external = bytes.readUInt32LE(at + 38);
    const local = bytes.readUInt32LE(at + 42);
    const path = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const extra = bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    at += 46 + nameLength + extraLength + commentLength;
    const meta: ArchiveMember["meta"] = {
      method: method === 0 ? "stored" : method === 8 ? "deflated" : `method ${method}`,
      crc32: crc.toString(16).padStart(8, "0"),
      "compressed size": packed,
      "DOS time": dosTime(date, time),
      "made by": `${madeBy >> 8}/${madeBy & 0xff}`,
      "external attributes": `0x${external.toString(16).padStart(8, "0")}`,
    };
    if (extra.length > 0) meta["extra fields"] = extra.toString("hex");
    if (path.endsWith("/")) {
      members.push({ path, type: "directory", size: 0, sha256: null, meta });
      continue;
    }
    if (flags & 1) throw new ArchiveUnreadable(`the zip member ${path} is encrypted`);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== 0x04034b50) {
      throw new ArchiveUnreadable(`the zip member ${path} has no local header`);
    }
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(dataStart, dataStart + packed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, limits.maxUnpacked - unpacked) });
      } catch (err) {
        throw new ArchiveUnreadable(
          `the zip member ${path} cannot be inflated: ${(err as Error).message}`,
        );
      }
    } else {
      members.push({ path, type: "file", size, sha256: null, meta });
      continue;
    }
    unpacked += data.length;
    if (unpacked > limits.maxUnpacked)
      throw new ArchiveUnreadable("the zip unpacks past its bound");
    members.push(fileMember(path, data, meta));
  }
  return members;
}

function dosTime(date: number, time: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${1980 + (date >> 9)}-${pad((date >> 5) & 15)}-${pad(date & 31)} ${pad(time >> 11)}:${pad((time >> 5) & 63)}:${pad((time & 31) * 2)}`;
}
