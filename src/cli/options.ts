/** Parsing of command-line values shared by several commands. */
import { readFileSync, statSync } from "node:fs";
import { CrosscheckError } from "../errors/index.js";

export function parseCount(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new CrosscheckError(
        "E_USAGE",
        `${name} must be a whole number, got ${JSON.stringify(value)}.`,
      );
    }
    return Number(value);
  };
}

export function parsePort(value: string): number {
  const port = parseCount("--port")(value);
  if (port > 65535)
    throw new CrosscheckError("E_USAGE", `--port must be at most 65535, got ${port}.`);
  return port;
}

const MAX_SECRET_FILE = 64 * 1024;

/** A secret read from a file (first line, trimmed), so it never shows in `ps` or shell history. */
export function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    // A secret is one short line: a large file is a mistake, not something to read whole.
    if (statSync(path).size > MAX_SECRET_FILE) {
      throw new CrosscheckError(
        "E_SECRET_FILE",
        `The ${what} file ${path} is larger than ${MAX_SECRET_FILE} bytes; it should hold one line.`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof CrosscheckError) throw err;
    throw new CrosscheckError(
      "E_SECRET_FILE",
      `Cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  const secret = text.split("\n")[0]?.trim() ?? "";
  if (!secret) throw new CrosscheckError("E_SECRET_FILE", `The ${what} file ${path} is empty.`);
  return secret;
}

/** Reads stdin or a file completely, refusing more than `limit` bytes. */
export async function readInput(path: string | undefined, limit: number): Promise<Uint8Array> {
  if (path && path !== "-") {
    try {
      const data = readFileSync(path);
      if (data.length > limit) throw tooLarge(path, limit);
      return data;
    } catch (err) {
      if (err instanceof CrosscheckError) throw err;
      throw new CrosscheckError(
        "E_INPUT",
        `Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}.`,
      );
    }
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooLarge("standard input", limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(what: string, limit: number): CrosscheckError {
  return new CrosscheckError(
    "E_ENTRY_TOO_LARGE",
    `${what} holds more than ${limit} bytes, the most one log entry holds.`,
  );
}
