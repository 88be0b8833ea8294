/**
 * Password hashing (Decision 16): scrypt from node:crypto with a per-user salt. The parameters are
 * stored with the hash (`scrypt$N$r$p$salt$hash`, base64url) so they can be raised later without
 * locking anyone out; comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { CrosscheckError } from "../errors/index.js";

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase; bounded so a huge body cannot make scrypt chew on megabytes. */
export const MAX_PASSWORD_LENGTH = 1024;

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// scrypt needs 128·N·r bytes (32 MiB here); Node's default cap (32 MiB) is just too small.
const MAX_MEM = 64 * 1024 * 1024;

function derive(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, length, { N: n, r, p, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new CrosscheckError(
      "E_PASSWORD_WEAK",
      `A password needs at least ${MIN_PASSWORD_LENGTH} characters (at most ${MAX_PASSWORD_LENGTH}).`,
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordStrength(password);
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

const ENCODED =
  /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{1,128})\$([A-Za-z0-9_-]{1,256})$/;

/** True if `password` matches `encoded`; a malformed stored hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = ENCODED.exec(encoded);
  if (!match || password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(match[5] as string, "base64url");
  const key = await derive(
    password,
    Buffer.from(match[4] as string, "base64url"),
    Number(match[1]),
    Number(match[2]),
    Number(match[3]),
    expected.length,
  );
  return timingSafeEqual(key, expected);
}

/** Hashes a throwaway password, so an unknown name costs as much time as a wrong password. */
let decoy: Promise<string> | undefined;
export async function spendVerifyTime(password: string): Promise<void> {
  decoy ??= hashPassword("decoy password, never matches");
  await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), await decoy);
}
