/**
 * Files that are there whole or not at all, and stay there after a crash: the one way Crosscheck
 * writes a state file, a key, a policy, a bundle or a static tile.
 *
 * The bytes go to a temporary name beside the target (same file system, so the rename is atomic),
 * are fsynced, and the temporary file is renamed over the target; then the directory is fsynced,
 * because on POSIX the new directory entry is durable only once its directory is. A failed write
 * leaves the target as it was and no temporary file behind.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface DurableWriteOptions {
  /** File mode of a new file (0o644 by default; 0o600 for secrets). */
  mode?: number;
  /**
   * Whether to fsync the directory after the rename (default true). A caller writing many files
   * into a few directories passes false and calls `syncDirectory` once per directory.
   */
  syncDirectory?: boolean;
}

export function writeFileDurably(
  path: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  try {
    const fd = openSync(temp, "wx", options.mode ?? 0o644);
    try {
      let offset = 0;
      while (offset < bytes.length) {
        offset += writeSync(fd, bytes, offset, bytes.length - offset);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  if (options.syncDirectory ?? true) syncDirectory(dirname(path));
}

/** Makes renames and new names in `dir` durable (POSIX: the directory needs its own fsync). */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
