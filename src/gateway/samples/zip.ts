/**
 * Just enough of ZIP (APPNOTE 6.3) to see what an archive holds: the central directory, found
 * from the end-of-central-directory record in the file's tail (so data before the archive, as in
 * a self-extracting executable, is handled), and the first bytes of an entry. Every read is
 * bounded (Decision 20): the directory by byte and entry limits, an entry by a small compressed
 * prefix inflated with an output cap, so a compression bomb costs nothing.
 */
import type { FileHandle } from "node:fs/promises";
import { constants, inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; others are listed but not read. */
  method: number;
  encrypted: boolean;
  compressedSize: number;
  size: number;
  /** Offset of the local header from the start of the file. */
  localHeader: number;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** Why the listing is not the whole archive, if it is not. */
  incomplete?: string;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Bytes read of an entry: enough to recognise its type, never enough to hurt. */
const ENTRY_COMPRESSED_PREFIX = 4096;
const ENTRY_STORED_PREFIX = 64 * 1024;
const ENTRY_INFLATED_CAP = 8 * 1024 * 1024;

export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, length));
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await fh.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The archive's listing, or undefined when the file has no end-of-central-directory record. */
export async function readZipListing(
  fh: FileHandle,
  size: number,
  limits: { maxEntries: number; maxDirectoryBytes: number },
): Promise<ZipListing | undefined> {
  if (size < EOCD_SIZE) return undefined;
  const tailStart = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
  const tail = await readAt(fh, tailStart, size - tailStart);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    // The comment length must reach the end of the file: a stray signature inside data does not.
    if (
      tail.readUInt32LE(i) === EOCD_SIGNATURE &&
      i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length
    ) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;

  const count = tail.readUInt16LE(eocd + 10);
  const directorySize = tail.readUInt32LE(eocd + 12);
  const directoryOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    return { entries: [], incomplete: "ZIP64 archive, not listed" };
  }
  const eocdPosition = tailStart + eocd;
  // Offsets count from the archive's start; with data prepended (SFX) that is not the file's.
  const base = eocdPosition - directorySize - directoryOffset;
  if (base < 0) return { entries: [], incomplete: "damaged central directory" };

  const directory = await readAt(
    fh,
    base + directoryOffset,
    Math.min(directorySize, limits.maxDirectoryBytes),
  );
  const entries: ZipEntry[] = [];
  let at = 0;
  while (entries.length < count) {
    if (entries.length >= limits.maxEntries) {
      return { entries, incomplete: `more than ${limits.maxEntries} entries` };
    }
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
      const reason =
        directorySize > limits.maxDirectoryBytes
          ? `central directory larger than ${limits.maxDirectoryBytes} bytes`
          : "damaged central directory";
      return { entries, incomplete: reason };
    }
    const nameLength = directory.readUInt16LE(at + 28);
    const next =
      at + 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
    if (next > directory.length) return { entries, incomplete: "damaged central directory" };
    entries.push({
      name: new TextDecoder().decode(directory.subarray(at + 46, at + 46 + nameLength)),
      method: directory.readUInt16LE(at + 10),
      encrypted: (directory.readUInt16LE(at + 8) & 1) === 1,
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeader: base + directory.readUInt32LE(at + 42),
    });
    at = next;
  }
  return { entries };
}

/** The first bytes of an entry's content, or undefined when it cannot be read (encrypted, other methods). */
export async function readEntryPrefix(
  fh: FileHandle,
  entry: ZipEntry,
): Promise<Buffer | undefined> {
  if (entry.encrypted || (entry.method !== 0 && entry.method !== 8)) return undefined;
  const header = await readAt(fh, entry.localHeader, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_SIGNATURE) return undefined;
  const dataStart = entry.localHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const wanted = entry.method === 0 ? ENTRY_STORED_PREFIX : ENTRY_COMPRESSED_PREFIX;
  const data = await readAt(fh, dataStart, Math.min(entry.compressedSize, wanted));
  if (entry.method === 0) return data;
  try {
    // A sync flush accepts the cut-off stream; the cap bounds what a bomb could expand to.
    return inflateRawSync(data, {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: ENTRY_INFLATED_CAP,
    });
  } catch {
    return undefined;
  }
}
